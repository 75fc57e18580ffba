//! `otlp-sink`: an OTLP receiver for tests (see the library's docs). Binds
//! two ephemeral ports on 127.0.0.1, prints
//! `otlp-sink http=127.0.0.1:PORT grpc=127.0.0.1:PORT`, and serves until its
//! standard input closes (so a test that started it cannot leak it).

use std::io::{BufRead, Write};

fn main() -> anyhow::Result<()> {
    let sink = otlp_sink::Sink::spawn()?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "otlp-sink http={} grpc={}", sink.http, sink.grpc)?;
    out.flush()?;
    drop(out);
    // Serve until stdin reaches its end.
    for line in std::io::stdin().lock().lines() {
        if line.is_err() {
            break;
        }
    }
    Ok(())
}
