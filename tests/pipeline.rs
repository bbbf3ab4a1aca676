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
    let pfocr_etl::pipeline::Job::Convert(opts) =
        pfocr_etl::pipeline::load(&repo().join("pipelines/sample.yaml")).unwrap()
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
