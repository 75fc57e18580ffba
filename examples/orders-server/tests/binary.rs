//! The `orders-server` binary: prints its URL, serves, stops on SIGTERM.

mod common;

use std::time::Duration;

use common::{client, order_body};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn binary_prints_its_url_serves_and_stops_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("orders-server-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let faults = dir.join("faults.json");
    std::fs::write(
        &faults,
        r#"{"rules": [{"route": "POST /orders", "fault": {"kind": "status", "code": 503, "retry_after": "0"}}]}"#,
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_orders-server"))
        .args([
            "--port",
            "0",
            "--operation-ms",
            "50",
            "--seed",
            "3",
            "--fault-rate",
            "0",
        ])
        .arg("--faults")
        .arg(&faults)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .expect("prints within 10 s")
        .unwrap()
        .expect("a line");
    let base = line.strip_prefix("listening on ").expect(&line).to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");

    let client = client();
    let url = format!("{base}/orders");
    let send = || {
        client
            .post(&url)
            .header("Idempotency-Key", "k")
            .json(&order_body())
            .send()
    };
    assert_eq!(
        send().await.unwrap().status(),
        503,
        "the fault file was loaded"
    );
    assert_eq!(send().await.unwrap().status(), 201);

    #[cfg(unix)]
    {
        let pid = child.id().expect("running").to_string();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = tokio::time::timeout(Duration::from_secs(10), child.wait())
            .await
            .expect("stops within 10 s")
            .unwrap();
        assert!(exit.success(), "{exit:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn binary_rejects_bad_arguments() {
    let output = Command::new(env!("CARGO_BIN_EXE_orders-server"))
        .args(["--port", "0", "--fault-rate", "2"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--fault-rate"), "{stderr}");
    for (args, expected) in [
        (
            &["--webhook-url", "http://127.0.0.1:9/hooks"][..],
            "--webhook-secret",
        ),
        (
            &[
                "--webhook-url",
                "http://127.0.0.1:9/hooks",
                "--webhook-secret",
                "whsec_!!",
            ][..],
            "webhook secret",
        ),
        (
            &["--webhook-url", "ftp://x", "--webhook-secret", "whsec_AAAA"][..],
            "http://",
        ),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_orders-server"))
            .args(["--port", "0"])
            .args(args)
            .output()
            .await
            .unwrap();
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}
