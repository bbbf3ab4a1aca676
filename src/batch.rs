//! Per-table builders: decoders push rows, [`Builders::finish`] turns them into
//! `RecordBatch`es. A record that fails midway is rolled back with [`Builders::rollback`].

use crate::arrow::record_batch::RecordBatch;

use crate::column::Column;
use crate::error::{Error, Result};
use crate::schema::{ColumnType, EntityKind, Table};

/// The columns of one table being built.
#[derive(Debug)]
pub struct TableBuilder {
    table: Table,
    columns: Vec<Column>,
}

impl TableBuilder {
    /// An empty builder with one column per field of the table's schema.
    pub fn new(table: Table) -> Self {
        let columns = table
            .schema()
            .fields()
            .iter()
            .map(|f| {
                Column::new(ColumnType::of(f.data_type()).expect("schema types are supported"))
            })
            .collect();
        TableBuilder { table, columns }
    }

    /// Rows completed so far: the length of the key column (column 0), which the decoders
    /// push last for each row.
    pub fn rows(&self) -> usize {
        self.columns[0].len()
    }

    /// Column `i` (an index from the table's schema).
    pub fn col(&mut self, i: usize) -> &mut Column {
        &mut self.columns[i]
    }

    /// Length of column `i`.
    pub fn len_of(&self, i: usize) -> usize {
        self.columns[i].len()
    }

    /// Bytes the rows take, over all columns.
    pub fn bytes(&self) -> usize {
        self.columns.iter().map(Column::bytes).sum()
    }

    /// Cuts every column back to `rows` rows.
    pub fn truncate(&mut self, rows: usize) {
        for c in &mut self.columns {
            c.truncate(rows);
        }
    }

    /// Takes the rows out as a batch of the table's schema.
    pub fn finish(&mut self) -> Result<RecordBatch> {
        let arrays = self.columns.iter_mut().map(Column::finish).collect();
        RecordBatch::try_new(self.table.schema(), arrays).map_err(|source| Error::Arrow {
            table: self.table.name(),
            source,
        })
    }
}

/// Builders of the four data tables (rejects are collected separately).
#[derive(Debug)]
pub struct Builders {
    pub figures: TableBuilder,
    pub genes: TableBuilder,
    pub chemicals: TableBuilder,
    pub diseases: TableBuilder,
}

/// Row counts of the four builders, taken before a record is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark(pub [usize; 4]);

/// One batch per data table, in the order of [`Builders`].
#[derive(Debug, Clone)]
pub struct Batches(pub [RecordBatch; 4]);

impl Default for Builders {
    fn default() -> Self {
        Builders {
            figures: TableBuilder::new(Table::Figures),
            genes: TableBuilder::new(Table::FigureGenes),
            chemicals: TableBuilder::new(Table::FigureChemicals),
            diseases: TableBuilder::new(Table::FigureDiseases),
        }
    }
}

impl Builders {
    /// The current row counts.
    pub fn mark(&self) -> Mark {
        Mark([
            self.figures.rows(),
            self.genes.rows(),
            self.chemicals.rows(),
            self.diseases.rows(),
        ])
    }

    /// Bytes the rows of the four tables take.
    pub fn bytes(&self) -> usize {
        self.figures.bytes() + self.genes.bytes() + self.chemicals.bytes() + self.diseases.bytes()
    }

    /// Drops everything pushed since `mark`.
    pub fn rollback(&mut self, mark: Mark) {
        for (b, rows) in self.all_mut().into_iter().zip(mark.0) {
            b.truncate(rows);
        }
    }

    /// The child table builder of an entity kind.
    pub fn entity_builder(&mut self, kind: EntityKind) -> &mut TableBuilder {
        match kind {
            EntityKind::Genes => &mut self.genes,
            EntityKind::Chemicals => &mut self.chemicals,
            EntityKind::Diseases => &mut self.diseases,
        }
    }

    /// The four builders in table order.
    pub fn all_mut(&mut self) -> [&mut TableBuilder; 4] {
        [
            &mut self.figures,
            &mut self.genes,
            &mut self.chemicals,
            &mut self.diseases,
        ]
    }

    /// Takes the rows out as batches.
    pub fn finish(&mut self) -> Result<Batches> {
        Ok(Batches([
            self.figures.finish()?,
            self.genes.finish()?,
            self.chemicals.finish()?,
            self.diseases.finish()?,
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollback_restores_mark() {
        let mut b = Builders::default();
        let m = b.mark();
        b.genes.col(2).push_scalar("x").unwrap();
        b.genes.col(0).push_scalar("fig").unwrap();
        assert_eq!(b.mark().0, [0, 1, 0, 0]);
        b.rollback(m);
        assert_eq!(b.mark(), m);
        assert_eq!(b.genes.len_of(2), 0);
        let batches = b.finish().unwrap();
        assert_eq!(batches.0[1].num_rows(), 0);
    }
}
