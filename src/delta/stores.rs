//! Which object stores (S3, GCS, Azure) this build carries: each is a cargo feature, and a
//! table URL for a store the build lacks gets a clear error instead of delta-rs's
//! "no object store" one.

/// Registers the object stores this build has (features `s3`, `gcs`, `azure`) with delta-rs,
/// once. (The `deltalake` crate does this from static constructors, which a linker may drop:
/// do it explicitly.)
pub(crate) fn register_object_stores() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(feature = "s3")]
        deltalake::aws::register_handlers(None);
        #[cfg(feature = "gcs")]
        deltalake::gcp::register_handlers(None);
        #[cfg(feature = "azure")]
        deltalake::azure::register_handlers(None);
    });
}

/// The cargo feature a URL scheme's object store needs, when this build lacks it.
pub(super) fn missing_store_feature(scheme: &str) -> Option<&'static str> {
    let (feature, built) = match scheme {
        "s3" | "s3a" => ("s3", cfg!(feature = "s3")),
        "gs" => ("gcs", cfg!(feature = "gcs")),
        "az" | "abfs" | "abfss" | "azure" | "adl" => ("azure", cfg!(feature = "azure")),
        _ => return None,
    };
    (!built).then_some(feature)
}

#[cfg(test)]
mod tests {
    use super::missing_store_feature;

    #[test]
    fn a_scheme_names_the_feature_its_store_needs_only_when_the_build_lacks_it() {
        assert_eq!(missing_store_feature("s3").is_some(), !cfg!(feature = "s3"));
        assert_eq!(
            missing_store_feature("gs"),
            (!cfg!(feature = "gcs")).then_some("gcs")
        );
        assert_eq!(
            missing_store_feature("abfss").is_some(),
            !cfg!(feature = "azure")
        );
        assert_eq!(missing_store_feature("file"), None);
        assert_eq!(missing_store_feature("memory"), None);
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
