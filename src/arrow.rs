//! Arrow under the paths of the `arrow` umbrella crate (`arrow::array`, `arrow::datatypes`, ...),
//! re-exported from the sub-crates this crate uses. Depending on the umbrella would also build
//! arrow's arithmetic, ordering, row and string kernels and the regex engine, which nothing
//! here calls: about a minute of a fresh build on two cores (docs/performance.md, "Set-up").

pub(crate) mod array {
    #[cfg(any(test, feature = "delta"))]
    pub(crate) use arrow_array::builder::*;
    pub(crate) use arrow_array::cast::*;
    pub(crate) use arrow_array::*;
}
pub(crate) mod buffer {
    pub(crate) use arrow_buffer::*;
}
pub(crate) mod compute {
    #[cfg(feature = "delta")]
    pub(crate) use arrow_cast::cast;
    pub(crate) use arrow_select::filter::filter_record_batch;
}
pub(crate) mod datatypes {
    pub(crate) use arrow_array::types::*;
    pub(crate) use arrow_schema::*;
}
pub(crate) mod error {
    pub(crate) use arrow_schema::ArrowError;
}
pub(crate) mod record_batch {
    pub(crate) use arrow_array::{RecordBatch, RecordBatchReader};
}
#[cfg(feature = "delta")]
pub(crate) mod temporal_conversions {
    pub(crate) use arrow_array::temporal_conversions::*;
}
