//! Which object stores this build carries. GCS and Azure come with the `delta` feature; S3,
//! whose SDK is the largest part of a cloud build, with the `s3` feature. A table URL for S3 in
//! a build without it gets a clear error instead of delta-rs's "no object store" one.

/// Registers the object stores of this build with delta-rs, once. (The `deltalake` crate does
/// this from static constructors, which a linker may drop: do it explicitly.)
pub(crate) fn register_object_stores() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(feature = "s3")]
        deltalake::aws::register_handlers(None);
        deltalake::gcp::register_handlers(None);
        deltalake::azure::register_handlers(None);
    });
}

/// The cargo feature a URL scheme's object store needs, when this build lacks it.
pub(super) fn missing_store_feature(scheme: &str) -> Option<&'static str> {
    matches!(scheme, "s3" | "s3a")
        .then_some("s3")
        .filter(|_| !cfg!(feature = "s3"))
}

#[cfg(test)]
mod tests {
    use super::missing_store_feature;

    #[test]
    fn only_s3_needs_a_feature_of_its_own() {
        assert_eq!(missing_store_feature("s3").is_some(), !cfg!(feature = "s3"));
        assert_eq!(
            missing_store_feature("s3a").is_some(),
            !cfg!(feature = "s3")
        );
        for scheme in ["gs", "az", "abfss", "file", "memory"] {
            assert_eq!(missing_store_feature(scheme), None, "{scheme}");
        }
    }

    #[cfg(not(feature = "s3"))]
    #[test]
    fn an_s3_table_without_the_s3_feature_says_how_to_build_it() {
        let err = super::super::root_url("s3://bucket/pfocr", false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--features s3"), "{err}");
        assert!(err.contains("s3://bucket/pfocr"), "{err}");
    }
}
