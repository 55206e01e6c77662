//! The file writer thread: owns the file, buffers writes, flushes every `flush_interval`, so
//! that a slow disk blocks this thread and never the async runtime.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::oneshot;

use super::config::FileConfig;
use super::rotate::RotatingFile;

enum Output {
    Plain(BufWriter<File>),
    Rotating(RotatingFile),
}

impl Output {
    fn open(config: &FileConfig) -> io::Result<Self> {
        let path = Path::new(&config.path);
        if config.create_directory
            && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        {
            create_dir(dir, config.directory_mode())?;
        }
        Ok(match &config.rotation {
            Some(r) => {
                let mut f = RotatingFile::new(path, r);
                f.open()?;
                Output::Rotating(f)
            }
            None => {
                let mut o = OpenOptions::new();
                o.create(true).write(true);
                if config.append {
                    o.append(true);
                } else {
                    o.truncate(true);
                }
                Output::Plain(BufWriter::new(o.open(path)?))
            }
        })
    }

    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        match self {
            Output::Plain(f) => f.write_all(data),
            Output::Rotating(f) => f.write_all(data),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Plain(f) => f.flush(),
            Output::Rotating(f) => f.flush(),
        }
    }
}

#[cfg(unix)]
fn create_dir(dir: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(dir)
}

#[cfg(not(unix))]
fn create_dir(dir: &Path, _mode: u32) -> io::Result<()> {
    std::fs::create_dir_all(dir)
}

enum Command {
    Write(Vec<u8>, oneshot::Sender<io::Result<()>>),
    Close(oneshot::Sender<io::Result<()>>),
}

/// A handle on the writer thread.
pub struct FileWriter {
    commands: Mutex<Option<mpsc::Sender<Command>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl FileWriter {
    /// Opens the output (on the calling thread, so errors surface at start) and starts the
    /// writer thread.
    pub fn start(config: &FileConfig) -> io::Result<Self> {
        let mut output = Output::open(config)?;
        let every = config.flush_every();
        let (tx, rx) = mpsc::channel::<Command>();
        let thread = std::thread::Builder::new()
            .name("file-exporter".into())
            .spawn(move || {
                let mut next_flush = Instant::now() + every;
                loop {
                    let wait = next_flush.saturating_duration_since(Instant::now());
                    match rx.recv_timeout(wait) {
                        Ok(Command::Write(data, reply)) => {
                            let _ = reply.send(output.write_all(&data));
                        }
                        Ok(Command::Close(reply)) => {
                            let _ = reply.send(output.flush());
                            return;
                        }
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => {
                            let _ = output.flush();
                            return;
                        }
                    }
                    if Instant::now() >= next_flush {
                        if let Err(e) = output.flush() {
                            tracing::error!(error = %e, "file exporter failed to flush");
                        }
                        next_flush = Instant::now() + every;
                    }
                }
            })?;
        Ok(FileWriter {
            commands: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Appends one record; resolves when it is in the file's buffer.
    pub async fn write(&self, data: Vec<u8>) -> io::Result<()> {
        let (reply, done) = oneshot::channel();
        let sent = match &*self.commands.lock() {
            Some(tx) => tx.send(Command::Write(data, reply)).is_ok(),
            None => false,
        };
        if !sent {
            return Err(io::Error::other("file exporter is shut down"));
        }
        done.await
            .unwrap_or_else(|_| Err(io::Error::other("file writer thread stopped")))
    }

    /// Flushes and closes the file; waits for the thread at most until `deadline`.
    pub async fn close(&self, deadline: Duration) {
        let Some(tx) = self.commands.lock().take() else {
            return;
        };
        let (reply, done) = oneshot::channel();
        if tx.send(Command::Close(reply)).is_ok() {
            match tokio::time::timeout(deadline, done).await {
                Ok(Ok(Err(e))) => {
                    tracing::error!(error = %e, "file exporter failed to flush on shutdown")
                }
                Ok(_) => {}
                Err(_) => {
                    tracing::warn!("file exporter did not flush before the shutdown deadline")
                }
            }
        }
        if let Some(t) = self.thread.lock().take()
            && t.is_finished()
        {
            let _ = t.join();
        }
    }
}
