//! `vamm-localnet` stops cleanly on Ctrl-C: the binary, started as a
//! newcomer would start it, serves JSON-RPC, and a SIGINT makes it say it
//! is stopping, exit with success and free its ports. A validator that
//! ignored the signal or hung while shutting down would keep its ports and
//! a core busy after the terminal was closed.

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A loopback port nobody holds, with the next one free too (the
/// WebSocket listens on the JSON-RPC port plus one).
fn free_port_pair() -> u16 {
    for _ in 0..100 {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        if port < u16::MAX && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
    panic!("no two free consecutive ports");
}

/// Kills the validator if the test fails before it stopped by itself, so a
/// failure never leaves one running.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn ctrl_c_stops_the_validator_and_frees_its_ports() {
    let rpc_port = free_port_pair();
    let faucet_port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = std::env::temp_dir().join(format!("vamm-localnet-ctrl-c-{}", std::process::id()));
    let child = Command::new(env!("CARGO_BIN_EXE_vamm-localnet"))
        .args(["--rpc-port", &rpc_port.to_string(), "--faucet-port", &faucet_port.to_string()])
        .args(["--publish-every", "0.5", "--json", "--out"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vamm-localnet starts");
    let mut running = Running(child);

    // Ready when it prints its summary (one JSON line).
    let stdout = running.0.stdout.take().unwrap();
    let (lines, ready) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let summary = ready.recv_timeout(Duration::from_secs(300)).expect("the summary within 5 minutes");
    let summary: serde_json::Value = serde_json::from_str(&summary).expect("a JSON summary");
    assert_eq!(summary["rpc_url"], format!("http://127.0.0.1:{rpc_port}"));
    assert!(TcpStream::connect(("127.0.0.1", rpc_port)).is_ok(), "JSON-RPC listens");
    // A few publications, so the signal arrives in the steady state.
    std::thread::sleep(Duration::from_secs(2));

    // SAFETY: signalling our own child by its pid.
    assert_eq!(unsafe { libc::kill(running.0.id() as libc::pid_t, libc::SIGINT) }, 0);
    let sent = Instant::now();
    let status = loop {
        if let Some(status) = running.0.try_wait().unwrap() {
            break status;
        }
        assert!(sent.elapsed() < Duration::from_secs(60), "still running 60 s after Ctrl-C");
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stderr = String::new();
    running.0.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(status.success(), "{status}: {stderr}");
    assert!(stderr.contains("stopping the validator"), "{stderr}");
    println!("stopped {:.1} s after SIGINT", sent.elapsed().as_secs_f64());
    // Its ports are free again.
    assert!(TcpStream::connect(("127.0.0.1", rpc_port)).is_err(), "JSON-RPC still answers");
    assert!(TcpListener::bind(("127.0.0.1", rpc_port)).is_ok(), "the JSON-RPC port is still held");
    let _ = std::fs::remove_dir_all(&out);
}
