//! The Arrow schemas of the five output tables: the single source of truth for column names,
//! order, types and nullability (the contract in `docs/schema.md`).
//!
//! Also the vocabulary every stage shares, kept here at the bottom of the layers so that no
//! stage imports another sideways for a word: [`EntityKind`] (genes, chemicals, diseases: its
//! child table, inline key and TSV suffix) and the child tables' column indexes [`FIGID`] and
//! [`ORDINAL`]. This module imports nothing from the crate.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use crate::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

/// Version of the output contract, written into every Parquet file and the manifest.
pub const SCHEMA_VERSION: u32 = 2;

/// Parquet key-value metadata key that carries [`SCHEMA_VERSION`].
pub const SCHEMA_VERSION_KEY: &str = "pfocr_etl.schema_version";

/// One of the output tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Figures,
    FigureGenes,
    FigureChemicals,
    FigureDiseases,
    Rejects,
}

impl Table {
    /// Every table, in the order they are written and listed in the manifest.
    pub const ALL: [Table; 5] = [
        Table::Figures,
        Table::FigureGenes,
        Table::FigureChemicals,
        Table::FigureDiseases,
        Table::Rejects,
    ];

    /// Directory name of the table under the output directory.
    pub fn name(self) -> &'static str {
        match self {
            Table::Figures => "figures",
            Table::FigureGenes => "figure_genes",
            Table::FigureChemicals => "figure_chemicals",
            Table::FigureDiseases => "figure_diseases",
            Table::Rejects => "rejects",
        }
    }

    /// The table's Arrow schema (built once, shared).
    pub fn schema(self) -> SchemaRef {
        static SCHEMAS: OnceLock<HashMap<Table, SchemaRef>> = OnceLock::new();
        let all = SCHEMAS.get_or_init(|| {
            Table::ALL
                .iter()
                .map(|&t| (t, Arc::new(Schema::new(t.fields()))))
                .collect()
        });
        all[&self].clone()
    }

    fn fields(self) -> Vec<Field> {
        use ColumnType::*;
        let cols: &[(&str, ColumnType, bool)] = match self {
            Table::Figures => &[
                ("figid", Text, false),
                ("pmcid", Text, true),
                ("number", Text, true),
                ("figtype", Text, true),
                ("figtitle", Text, true),
                ("caption", Text, true),
                ("papertitle", Text, true),
                ("reftext", Text, true),
                ("year", I16, true),
                ("doi", Text, true),
                ("journal_title", Text, true),
                ("journal_nlm_ta", Text, true),
                ("publisher_name", Text, true),
                ("keywords", TextList, true),
                ("organisms", TextList, true),
                ("organisms_ner", TextList, true),
                ("pathway_score", F64, true),
                ("pmc_ranked_result_index", I32, true),
                ("filename", Text, true),
                ("figlink", Text, true),
                ("figid_alias", Text, true),
                ("ndex", Text, true),
                ("annotations", TextList, true),
                ("entity_source", Text, false),
                ("extra", Text, true),
                ("body", Text, true),
                ("source_path", Text, false),
                // New in schema version 2: last, so version 1 columns keep their positions.
                ("wpid", Text, true),
            ],
            Table::FigureGenes => &[
                ("figid", Text, false),
                ("ordinal", I32, false),
                ("word", Text, true),
                ("symbol", Text, true),
                ("source", Text, true),
                ("gene_symbol", Text, true),
                ("ncbigene_id", I64, true),
                ("organism_id", I32, true),
                ("organism_name", Text, true),
                ("organism_group", Text, true),
                ("count_direct", I32, true),
                ("count_synonym", I32, true),
                ("count_match", I32, true),
                ("extra", Text, true),
            ],
            Table::FigureChemicals => &[
                ("figid", Text, false),
                ("ordinal", I32, false),
                ("word", Text, true),
                ("mesh_id", Text, true),
                ("match", Text, true),
                ("name", Text, true),
                ("chebi_id", Text, true),
                ("extra", Text, true),
            ],
            Table::FigureDiseases => &[
                ("figid", Text, false),
                ("ordinal", I32, false),
                ("word", Text, true),
                ("mesh_id", Text, true),
                ("match", Text, true),
                ("name", Text, true),
                ("doid", Text, true),
                ("extra", Text, true),
            ],
            Table::Rejects => &[
                ("source_path", Text, false),
                ("line", I32, true),
                ("field", Text, true),
                ("kind", Text, false),
                ("message", Text, false),
            ],
        };
        cols.iter()
            .map(|&(name, ty, nullable)| Field::new(name, ty.data_type(), nullable))
            .collect()
    }

    /// Index of the column called `name` (panics on a name the schema lacks: a programming
    /// error caught by every test that builds the table).
    pub fn column(self, name: &str) -> usize {
        self.schema()
            .index_of(name)
            .unwrap_or_else(|_| panic!("table {} has no column {name}", self.name()))
    }
}

/// Index of `figid` in each child table (figure_genes, figure_chemicals, figure_diseases).
pub const FIGID: usize = 0;
/// Index of `ordinal` in each child table.
pub const ORDINAL: usize = 1;

/// The three kinds of entity a figure mentions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityKind {
    Genes,
    Chemicals,
    Diseases,
}

impl EntityKind {
    /// All kinds, in table order.
    pub const ALL: [EntityKind; 3] = [
        EntityKind::Genes,
        EntityKind::Chemicals,
        EntityKind::Diseases,
    ];

    /// The front matter key of the inline list.
    pub fn key(self) -> &'static str {
        match self {
            EntityKind::Genes => "genes",
            EntityKind::Chemicals => "chemicals",
            EntityKind::Diseases => "diseases",
        }
    }

    /// The child table.
    pub fn table(self) -> Table {
        match self {
            EntityKind::Genes => Table::FigureGenes,
            EntityKind::Chemicals => Table::FigureChemicals,
            EntityKind::Diseases => Table::FigureDiseases,
        }
    }

    /// The `_data` file name suffix of the newer generation's table.
    pub fn tsv_suffix(self) -> &'static str {
        match self {
            EntityKind::Genes => "-genes.tsv",
            EntityKind::Chemicals => "-chemicals.tsv",
            EntityKind::Diseases => "-diseases.tsv",
        }
    }

    /// Index in [`EntityKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The column types the contract uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    I16,
    I32,
    I64,
    F64,
    TextList,
}

impl ColumnType {
    /// The Arrow type: plain `Utf8` strings (never dictionary types: Polars would read those
    /// as Categorical) and `List<Utf8>` with nullable items, Arrow's default list field.
    pub fn data_type(self) -> DataType {
        match self {
            ColumnType::Text => DataType::Utf8,
            ColumnType::I16 => DataType::Int16,
            ColumnType::I32 => DataType::Int32,
            ColumnType::I64 => DataType::Int64,
            ColumnType::F64 => DataType::Float64,
            ColumnType::TextList => {
                DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
            }
        }
    }

    /// The column type of an Arrow type this project uses.
    pub fn of(data_type: &DataType) -> Option<ColumnType> {
        Some(match data_type {
            DataType::Utf8 => ColumnType::Text,
            DataType::Int16 => ColumnType::I16,
            DataType::Int32 => ColumnType::I32,
            DataType::Int64 => ColumnType::I64,
            DataType::Float64 => ColumnType::F64,
            DataType::List(f) if f.data_type() == &DataType::Utf8 => ColumnType::TextList,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_has_a_supported_type() {
        for t in Table::ALL {
            for f in t.schema().fields() {
                assert!(
                    ColumnType::of(f.data_type()).is_some(),
                    "{}.{}",
                    t.name(),
                    f.name()
                );
            }
        }
    }

    #[test]
    fn keys_are_not_null() {
        for t in Table::ALL {
            let s = t.schema();
            let key = if t == Table::Rejects {
                "source_path"
            } else {
                "figid"
            };
            assert!(!s.field_with_name(key).unwrap().is_nullable());
        }
        assert_eq!(Table::Figures.column("figid"), 0);
        assert_eq!(Table::Figures.schema().fields().len(), 28);
        assert_eq!(Table::Figures.column("wpid"), 27, "new columns come last");
    }

    #[test]
    fn child_column_indexes_match_the_schemas() {
        for kind in EntityKind::ALL {
            assert_eq!(kind.table().column("figid"), FIGID);
            assert_eq!(kind.table().column("ordinal"), ORDINAL);
            assert_eq!(EntityKind::ALL[kind.index()], kind);
        }
    }
}
