//! `concord bench federation`, run short: four node processes and a late fifth, every
//! figure printed and sane. (A short run once failed at its last step, a pull the peer
//! refused for a registration it had not read yet: the bench now waits for it.)

use std::process::Command;

#[test]
fn bench_federation_prints_propagation_catch_up_and_the_empty_pull() {
    let out = Command::new(env!("CARGO_BIN_EXE_concord"))
        .args([
            "bench",
            "federation",
            "--reports",
            "5",
            "--entries",
            "200",
            "--json",
        ])
        .env("CONCORD_LOG", "error")
        .env_remove("CONCORD_DATABASE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(f["reports"], 5, "{f}");
    let ms = |k: &str| f[k].as_f64().unwrap_or_else(|| panic!("{k}: {f}"));
    assert!(ms("propagation_p50_ms") > 0.0, "{f}");
    assert!(ms("propagation_p99_ms") >= ms("propagation_p50_ms"), "{f}");
    assert!(f["log_entries"].as_u64().unwrap() >= 200, "{f}");
    assert!(
        ms("catch_up_seconds") > 0.0 && ms("catch_up_per_second") > 0.0,
        "{f}"
    );
    assert!(
        ms("no_change_pull_max_ms") >= ms("no_change_pull_ms"),
        "{f}"
    );
}
