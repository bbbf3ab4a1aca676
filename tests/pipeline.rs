//! `pfocr-etl run <pipeline.yaml>`.

use crate::util::*;

#[test]
fn a_pipeline_file_runs_a_conversion() {
    let w = Workdir::new();
    let sample = repo().join("data/sample");
    w.write(
        "p/nightly.yaml",
        format!(
            "input: {}\noutput: ../out\noptions:\n  threads: 1\n  max_rejects: 100\n",
            sample.display()
        ),
    );
    let o = pfocr_etl()
        .arg("run")
        .arg(w.path().join("p/nightly.yaml"))
        .output()
        .unwrap();
    let err = assert_ok(&o);
    assert!(err.contains("converted"), "{err}");
    let m = manifest(&w.out());
    assert_eq!(m["options"]["threads"], 1);
    assert_eq!(
        m["inputs"],
        m["converted"].as_u64().unwrap() + m["rejected"].as_u64().unwrap()
    );
}

#[test]
fn the_shipped_sample_pipeline_points_at_the_sample() {
    let pfocr_etl::PipelineJob::Convert(opts) =
        pfocr_etl::load_pipeline(&repo().join("pipelines/sample.yaml")).unwrap()
    else {
        panic!("sample.yaml is a conversion")
    };
    assert_eq!(
        std::fs::canonicalize(opts.input).unwrap(),
        std::fs::canonicalize(repo().join("data/sample")).unwrap()
    );
    assert_eq!(opts.run.max_rejects, Some(10));
}

#[test]
fn a_bad_pipeline_file_is_a_clear_error() {
    let w = Workdir::new();
    w.write("p.yaml", "input: a\noutput: b\noptions:\n  threds: 2\n");
    let o = pfocr_etl()
        .arg("run")
        .arg(w.path().join("p.yaml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("p.yaml") && err.contains("threds"), "{err}");
}

/// Object store options reach the store, from a pipeline file's `storage:` and from
/// `--storage-option`: an Azure endpoint on a closed loopback port makes the load fail on
/// that endpoint (status 4) at once, and no message shows a value. (Azure, not S3: the S3
/// store is the `s3` feature, which the tests do not build.)
#[cfg(feature = "delta")]
#[test]
fn storage_options_reach_the_object_store_and_their_values_are_never_printed() {
    let w = Workdir::new();
    let sample = repo().join("data/sample");
    // An account key is base64; this one is "secret-value-never-printed".
    let secret = "c2VjcmV0LXZhbHVlLW5ldmVyLXByaW50ZWQ=";
    let options = [
        ("AZURE_STORAGE_ACCOUNT_NAME", "pfocrtest"),
        ("AZURE_STORAGE_ACCOUNT_KEY", secret),
        ("AZURE_STORAGE_ENDPOINT", "http://127.0.0.1:9"),
        ("AZURE_ALLOW_HTTP", "true"),
        ("max_retries", "0"),
        ("retry_timeout", "1s"),
    ];
    let storage: String = options
        .iter()
        .map(|(k, v)| format!("  {k}: \"{v}\"\n"))
        .collect();
    w.write(
        "p.yaml",
        format!(
            "input: {}\ntable: az://container/pfocr\nstorage:\n{storage}",
            sample.display()
        ),
    );
    let hermetic = |c: &mut std::process::Command| {
        for (k, _) in options {
            c.env_remove(k);
        }
        c.env_remove("AZURE_STORAGE_USE_EMULATOR");
    };
    let mut run = pfocr_etl();
    run.arg("run").arg(w.path().join("p.yaml"));
    hermetic(&mut run);
    let mut load = pfocr_etl();
    load.arg("load")
        .arg(&sample)
        .args(["--table", "az://container/pfocr"]);
    for (k, v) in options {
        load.arg("--storage-option").arg(format!("{k}={v}"));
    }
    hermetic(&mut load);
    for mut c in [run, load] {
        let o = c.output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(4), "{err}");
        assert!(
            err.contains("127.0.0.1:9"),
            "the endpoint option was used: {err}"
        );
        assert!(!err.contains(secret), "{err}");
        assert!(!String::from_utf8_lossy(&o.stdout).contains(secret));
    }
}

/// For a local table delta-rs ignores options it does not know: the load succeeds. A
/// `--storage-option` without `=` is a usage error that does not echo the text.
#[cfg(feature = "delta")]
#[test]
fn storage_options_on_a_local_table_and_a_malformed_one() {
    let w = Workdir::new();
    let sample = repo().join("data/sample");
    let lake = w.path().join("lake");
    let o = pfocr_etl()
        .arg("load")
        .arg(&sample)
        .arg("--table")
        .arg(&lake)
        .args(["--storage-option", "SOME_UNKNOWN_OPTION=x", "--quiet"])
        .output()
        .unwrap();
    assert_ok(&o);
    assert!(lake.join("figures/_delta_log").is_dir());
    let o = pfocr_etl()
        .arg("load")
        .arg(&sample)
        .arg("--table")
        .arg(&lake)
        .args(["--storage-option", "AWS_SECRET_ACCESS_KEYs3cr3t"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("KEY=VALUE") && !err.contains("s3cr3t"),
        "{err}"
    );
}

/// `--shard` is parsed by clap: a bad value is a usage error saying what is wrong.
#[cfg(feature = "delta")]
#[test]
fn a_bad_shard_is_a_usage_error() {
    let w = Workdir::new();
    for (bad, says) in [
        ("0/0", "at least 1"),
        ("3/2", "numbered 0 to 1"),
        ("a/b", "whole numbers"),
    ] {
        let o = pfocr_etl()
            .arg("load")
            .arg(w.path())
            .args(["--table", "t", "--shard", bad])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains("--shard") && err.contains(says),
            "{bad}: {err}"
        );
    }
}
