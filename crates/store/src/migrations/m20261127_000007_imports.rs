//! Import jobs and the column mapping each user last used per target.

use sea_orm_migration::prelude::*;

use super::cols::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000007_imports"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("imports")
                .col(id())
                // Who imports (null: the command line as the system).
                .col(big_null("user_id"))
                .col(text("target"))
                .col(text("file_name"))
                // Where the upload is stored on the node that received it.
                .col(text("file_path"))
                // csv-utf8, csv-gbk, csv-utf16, xlsx or xls.
                .col(text("file_format"))
                // JSON: {"column header": "field"}.
                .col(long_text("mapping"))
                .col(text("duplicate_mode"))
                .col(flag("dry_run"))
                .col(text("status"))
                .col(big_null("total_rows"))
                .col(big("processed"))
                .col(big("inserted"))
                .col(big("merged"))
                .col(big("skipped"))
                .col(big("rejected"))
                .col(long_text_null("error"))
                // JSON: the first bad rows, for any node to show.
                .col(long_text("sample_errors"))
                .col(text_null("report_path"))
                .col(time("created_at"))
                .col(time_null("started_at"))
                .col(time_null("finished_at"))
                .col(time("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("imports", &["user_id", "id"], false)).await?;
        m.create_index(index("imports", &["status", "id"], false)).await?;

        m.create_table(
            table("import_mappings")
                .col(id())
                .col(big("user_id"))
                .col(text("target"))
                // JSON: {"column header": "field"}, as last used.
                .col(long_text("mapping"))
                .col(time("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("import_mappings", &["user_id", "target"], true)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["import_mappings", "imports"] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
