//! The page's files, compiled into the checker: no build step, nothing
//! fetched from anywhere but the console's own origin. The scripts are ES
//! modules, one concern each.

/// A file of the page: its name under `/@console/`, its text, its type.
pub(super) struct Asset {
    pub(super) name: &'static str,
    pub(super) body: &'static str,
    pub(super) content_type: &'static str,
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

macro_rules! page {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            body: include_str!(concat!("page/", $name)),
            content_type: $type,
        }
    };
}

/// The page itself.
pub(super) const INDEX: &Asset = &page!("index.html", HTML);

const ASSETS: &[Asset] = &[
    page!("index.html", HTML),
    page!("console.css", CSS),
    page!("favicon.svg", SVG),
    page!("console.js", JS),
    page!("dom.js", JS),
    page!("names.js", JS),
    page!("model.js", JS),
    page!("silence.js", JS),
    page!("messages.js", JS),
    page!("invocations.js", JS),
    page!("panels.js", JS),
    page!("clients.js", JS),
];

/// The file named `name` (`index.html` for the page itself).
pub(super) fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_page_is_served() {
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/src/emulator/console/page");
        let mut files: Vec<String> = std::fs::read_dir(folder)
            .expect("the page's folder")
            .map(|entry| {
                entry
                    .expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        files.sort();
        let mut served: Vec<&str> = ASSETS.iter().map(|asset| asset.name).collect();
        served.sort_unstable();
        assert_eq!(files, served);
    }

    #[test]
    fn every_module_a_script_imports_is_served() {
        for asset in ASSETS.iter().filter(|asset| asset.name.ends_with(".js")) {
            for line in asset
                .body
                .lines()
                .filter(|line| line.starts_with("import "))
            {
                let module = line
                    .rsplit_once("from \"./")
                    .and_then(|(_, rest)| rest.split_once('"'))
                    .map(|(module, _)| module)
                    .unwrap_or_else(|| panic!("{}: an import of ./file.js: {line}", asset.name));
                assert!(find(module).is_some(), "{} imports {module}", asset.name);
            }
        }
    }
}
