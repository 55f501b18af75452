//! Ends the Lambdas' process groups when the checker dies without ending
//! them itself (SIGKILL, a crash): no code of the checker runs then, and
//! `PR_SET_PDEATHSIG` reaches only each Lambda, not the processes it
//! started, which would live on.
//!
//! One small `sh` process per checker reads, on its stdin, the groups to
//! watch with their leader's marker (`+ID MARKER`, the
//! `AWS_LAMBDA_RUNTIME_API=…` entry of its environment) and those ended
//! (`-ID`). Its stdin is a pipe only the checker holds (Rust opens pipes
//! close-on-exec, so no Lambda inherits it): when it reads end-of-file, the
//! checker is gone, however it went, and it kills the groups still listed,
//! then, where /proc exists, every process of its user whose environment
//! holds one of their markers (what left a group: a `setsid`, an orphan).
//! It leads a group of its own, so the terminal's Ctrl-C, meant for the
//! checker, does not end it first.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{SyncSender, sync_channel};

/// Group ids waiting to be told to the watchdog.
const QUEUE: usize = 4096;

const SCRIPT: &str = r#"
set -f
nl='
'
groups=' '
markers=''
while read -r line; do
  case $line in
    +*) entry=${line#+}
        id=${entry%% *}
        groups="$groups$id "
        case $entry in *' '*) markers="$markers$entry$nl" ;; esac ;;
    -*) id=${line#-}
        case $groups in *" $id "*) groups="${groups%% $id *} ${groups#* $id }" ;; esac
        kept=''
        IFS=$nl
        for entry in $markers; do
          case $entry in "$id "*) ;; *) kept="$kept$entry$nl" ;; esac
        done
        unset IFS
        markers=$kept ;;
  esac
done
for id in $groups; do kill -KILL "-$id" 2>/dev/null; done
wanted=''
IFS=$nl
for entry in $markers; do wanted="$wanted${entry#* }$nl"; done
unset IFS
wanted=${wanted%"$nl"}
[ -n "$wanted" ] || exit 0
set +f
for environ in /proc/[0-9]*/environ; do
  [ -O "$environ" ] || continue
  if tr '\0' '\n' 2>/dev/null < "$environ" | grep -qxF -e "$wanted"; then
    pid=${environ#/proc/}
    kill -KILL "${pid%/environ}" 2>/dev/null
  fi
done
"#;

/// Watches the group `group`, whose leader's environment holds `marker` (no
/// space nor newline in it: an `AWS_LAMBDA_RUNTIME_API=…` entry).
pub(super) fn watch(group: u32, marker: &str) {
    tell(format!("+{group} {marker}"));
}

pub(super) fn forget(group: u32) {
    tell(format!("-{group}"));
}

/// Hands the line to the thread that writes to the watchdog: a watchdog that
/// reads slowly never blocks the emulator (a line that does not fit is lost,
/// and with it only this safety net for one group).
fn tell(line: String) {
    static WATCHDOG: OnceLock<Option<SyncSender<String>>> = OnceLock::new();
    if let Some(lines) = WATCHDOG.get_or_init(start) {
        let _ = lines.try_send(line);
    }
}

fn start() -> Option<SyncSender<String>> {
    let mut command = Command::new("sh");
    command
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            tracing::warn!(%error, "cannot start the Lambda watchdog: if the checker is killed, processes its Lambdas started may outlive it");
            return None;
        }
    };
    let mut stdin = child.stdin.take()?;
    let (lines, queued) = sync_channel::<String>(QUEUE);
    let writer = std::thread::Builder::new()
        .name("lambda-watchdog".into())
        .spawn(move || {
            for line in queued {
                if writeln!(stdin, "{line}").is_err() {
                    return;
                }
            }
        });
    // The watchdog is reaped by no one while the checker lives: it exits
    // only once the checker is gone.
    drop(child);
    writer.ok().map(|_| lines)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// A `sleep` in a session of its own, its environment holding `marker`.
    fn stray(marker: &str) -> std::process::Child {
        let (name, value) = marker.split_once('=').expect("a marker is an entry");
        Command::new("setsid")
            .args(["sleep", "30"])
            .env(name, value)
            .spawn()
            .expect("setsid starts")
    }

    fn running(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            stat.rsplit_once(") ")
                .is_some_and(|(_, rest)| !rest.starts_with('Z'))
        })
    }

    #[test]
    fn at_end_of_file_the_watchdog_kills_what_holds_a_watched_marker_only() {
        let watched = "AWS_LAMBDA_RUNTIME_API=http://127.0.0.1:1/watchdog-test-watched";
        let forgotten = "AWS_LAMBDA_RUNTIME_API=http://127.0.0.1:1/watchdog-test-forgotten";
        let mut strays = [stray(watched), stray(forgotten)];
        // Ids past the largest pid Linux allows (2^22): no group is killed,
        // only the markers find the strays.
        let lines = format!("+99999991 {watched}\n+99999992 {forgotten}\n-99999992\n");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        // Until both have exec'd, their environments may not be readable yet.
        while !strays.iter().all(|stray| {
            std::fs::read(format!("/proc/{}/environ", stray.id()))
                .is_ok_and(|environ| !environ.is_empty())
        }) {
            assert!(std::time::Instant::now() < deadline);
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let mut watchdog = Command::new("sh")
            .args(["-c", SCRIPT])
            .stdin(Stdio::piped())
            .spawn()
            .expect("sh starts");
        let mut stdin = watchdog.stdin.take().expect("stdin is piped");
        stdin
            .write_all(lines.as_bytes())
            .expect("the watchdog reads");
        drop(stdin);
        assert!(watchdog.wait().expect("the watchdog ends").success());
        let [killed, kept] = &mut strays;
        assert!(killed.wait().is_ok_and(|status| !status.success()));
        assert!(
            running(kept.id()),
            "a forgotten marker's process was killed"
        );
        let _ = kept.kill();
        let _ = kept.wait();
    }
}
