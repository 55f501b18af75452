//! `watch` as a learner sees it in a terminal: run in a pseudo-terminal,
//! its screen read back through a terminal emulator (`vt100`). Every wait is
//! on the screen's content, with a generous bound: on a loaded machine a
//! check (with its build) can take minutes.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

use crate::support;

const ROWS: u16 = 40;
const COLS: u16 = 100;
/// How long one check may take, its build included, before the test gives up.
const PATIENCE: Duration = Duration::from_secs(600);

/// `watch` in a terminal of its own, and the screen it draws.
struct Screen {
    child: Box<dyn portable_pty::Child + Send + Sync>,
    keys: Arc<Mutex<Box<dyn Write + Send>>>,
    parser: Arc<Mutex<vt100::Parser>>,
    /// How often the screen asked where the cursor is.
    cursor_queries: Arc<AtomicUsize>,
}

/// A terminal's query of where its cursor is (ratatui's `clear` asks). The
/// screen must not: crossterm reads the answer with the reader the keys'
/// thread holds while it waits for a key, and the two can wait on each other.
const WHERE_IS_THE_CURSOR: &[u8] = b"\x1b[6n";

impl Screen {
    fn start(root: &Path, target_dir: &Path) -> Self {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_checker"));
        command.arg("watch");
        command.cwd(root);
        command.env_remove("CHECKER_ROOT");
        command.env("CARGO_TARGET_DIR", target_dir);
        command.env("TERM", "xterm-256color");
        let child = pair.slave.spawn_command(command).unwrap();
        drop(pair.slave);
        let mut output = pair.master.try_clone_reader().unwrap();
        let keys = Arc::new(Mutex::new(pair.master.take_writer().unwrap()));
        let size = |n| std::num::NonZeroU16::new(n).expect("the screen has rows and columns");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(size(ROWS), size(COLS), 0)));
        let cursor_queries = Arc::new(AtomicUsize::new(0));
        let (fed, answers, counted) = (parser.clone(), keys.clone(), cursor_queries.clone());
        std::thread::spawn(move || {
            // The master stays open while this thread reads; it ends at the child's exit.
            let _master = pair.master;
            let mut buffer = [0; 8192];
            // The end of the last read, in case a query is split across two.
            let mut tail = Vec::new();
            while let Ok(read @ 1..) = output.read(&mut buffer) {
                let mut parser = fed.lock().unwrap();
                parser.process(&buffer[..read]);
                tail.extend_from_slice(&buffer[..read]);
                let asked = tail
                    .windows(WHERE_IS_THE_CURSOR.len())
                    .filter(|window| *window == WHERE_IS_THE_CURSOR)
                    .count();
                tail.drain(..tail.len().saturating_sub(WHERE_IS_THE_CURSOR.len() - 1));
                counted.fetch_add(asked, Ordering::SeqCst);
                // Answered as a terminal does: `ESC [ row ; column R`, from 1.
                let (row, column) = parser.screen().cursor_position();
                for _ in 0..asked {
                    let mut answers = answers.lock().unwrap();
                    let _ = write!(answers, "\x1b[{};{}R", row + 1, column + 1);
                    let _ = answers.flush();
                }
            }
        });
        Self {
            child,
            keys,
            parser,
            cursor_queries,
        }
    }

    /// The screen's text, row by row.
    fn rows(&self) -> Vec<String> {
        let parser = self.parser.lock().unwrap();
        parser.screen().rows(0, COLS).collect()
    }

    /// Waits until `ready` holds of the screen's rows, and returns them.
    fn wait_for(&mut self, what: &str, ready: impl Fn(&[String]) -> bool) -> Vec<String> {
        let started = Instant::now();
        loop {
            let rows = self.rows();
            if ready(&rows) {
                return rows;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "watch ended ({status:?}) before showing {what}:\n{}",
                    rows.join("\n")
                );
            }
            if started.elapsed() > PATIENCE {
                let _ = self.child.kill();
                panic!("watch never showed {what}:\n{}", rows.join("\n"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn press(&mut self, key: &str) {
        let mut keys = self.keys.lock().unwrap();
        keys.write_all(key.as_bytes()).unwrap();
        keys.flush().unwrap();
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn shows(rows: &[String], text: &str) -> bool {
    rows.iter().any(|row| row.contains(text))
}

/// In a scratch copy of the workshop where 01 is solved and 02 is the stub:
/// `watch` shows 02's verdict first on a cleared screen, `h` shows the next
/// stage of the hint, an editor's files are named as ignored and start
/// nothing, a save starts a check, and the last pass leaves the screen open
/// with what to do next. The workshop is cut to its first two exercises, so
/// that 02's pass is the last.
#[test]
fn watch_screen_in_a_terminal() {
    let (_one_at_a_time, target_dir) = support::learners_target();
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("watch-screen/repo");
    crate::flow::fresh_copy(&root);
    let (ok, text) = crate::flow::checker(&root, &target_dir, &["solution", "01", "--apply"]);
    assert!(ok, "{text}");
    let info = root.join("exercises/info.toml");
    let full = std::fs::read_to_string(&info).unwrap();
    let third = full
        .match_indices("[[exercises]]")
        .nth(2)
        .map(|(at, _)| at)
        .expect("info.toml lists more than two exercises");
    std::fs::write(&info, &full[..third]).unwrap();
    let exercise = support::exercise("02");
    let echo = root.join("exercises/02-there-and-back-again");

    let mut screen = Screen::start(&root, &target_dir);
    let rows = screen.wait_for("02's verdict", |rows| {
        shows(rows, "Watching exercises/02-there-and-back-again")
    });
    // Cleared, and the verdict first: the top row says what fails and where.
    assert!(
        rows[0].starts_with("✗ 02-there-and-back-again (There and back again) fails at: "),
        "{}",
        rows.join("\n")
    );
    assert!(shows(&rows, "· check 1 took"), "{}", rows.join("\n"));
    assert!(
        shows(&rows, "Hint (1 of 3)"),
        "the nudge: {}",
        rows.join("\n")
    );
    let asked_for = |rows: &[String]| rows.iter().any(|row| row.trim() == "Hint 2 of 3");
    assert!(!asked_for(&rows), "hint 2 unasked: {}", rows.join("\n"));

    // `h`: the next stage, asked for.
    screen.press("h");
    let rows = screen.wait_for("hint 2", asked_for);
    let first_words: String = exercise.hints[1]
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        shows(&rows, &first_words),
        "hint 2 begins {first_words:?}: {}",
        rows.join("\n")
    );
    assert!(shows(&rows, "h hint 3 of 3"), "{}", rows.join("\n"));

    // An editor's files (vim's swap file, then its probe `4913`) are named
    // as ignored, and start no check: given the watcher's settling time and
    // more, the screen still shows the first check.
    let editors = ["src/.on-message.rs.swp", "src/4913"];
    for file in editors {
        std::fs::write(echo.join(file), "vim's").unwrap();
        let ignored = format!("Ignored 02-there-and-back-again/{file}: an editor's file");
        screen.wait_for(&ignored, |rows| shows(rows, &ignored));
    }
    std::thread::sleep(Duration::from_secs(2));
    let rows = screen.rows();
    assert!(
        shows(&rows, "· check 1 took") && !shows(&rows, "Checking"),
        "an editor's file started a check: {}",
        rows.join("\n")
    );
    for file in editors {
        std::fs::remove_file(echo.join(file)).unwrap();
    }

    // A save of the solution's files: a check starts, and the last pass
    // leaves the screen open, saying what to do next.
    let solution = support::root().join("solutions/02-there-and-back-again");
    for file in ["src/on-message.rs", "serverless.yml"] {
        std::fs::copy(solution.join(file), echo.join(file)).unwrap();
    }
    let rows = screen.wait_for("every exercise passing", |rows| {
        shows(rows, "Every exercise passes") && shows(rows, "Still watching")
    });
    assert!(
        rows[0].starts_with("✓ Every exercise passes"),
        "{}",
        rows.join("\n")
    );
    assert!(shows(&rows, "Progress 2/2 done"), "{}", rows.join("\n"));
    assert!(
        shows(&rows, "cargo run -p checker -- serve"),
        "{}",
        rows.join("\n")
    );
    assert!(
        !shows(&rows, "Hint"),
        "the hint left with the failure: {}",
        rows.join("\n")
    );
    assert!(
        matches!(screen.child.try_wait(), Ok(None)),
        "watch stays open"
    );

    // `q` ends it, and the terminal is given back.
    screen.press("q");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = screen.child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < PATIENCE, "q did not end watch");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status:?}");
    assert_eq!(
        screen.cursor_queries.load(Ordering::SeqCst),
        0,
        "the screen asked the terminal where its cursor is"
    );
}
