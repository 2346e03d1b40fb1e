//! People's names in pinyin, for the person picker: `pinyin` (`zhangwei`)
//! and `pinyin_initials` (`zw`), worked out by the domain's
//! `people::name_keys` whenever a user is saved, and here once for the
//! users that exist. Lists of people sort by `pinyin`.

use salesflow_domain::people::name_keys;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, FromQueryResult};

use super::cols::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261208_000022_user_pinyin"
    }
}

#[derive(FromQueryResult)]
struct Person {
    id: i64,
    display_name: String,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in ["pinyin", "pinyin_initials"] {
            m.alter_table(
                Table::alter()
                    .table(Alias::new("users"))
                    .add_column(ColumnDef::new(Alias::new(column)).string().not_null().default(""))
                    .to_owned(),
            )
            .await?;
        }
        let db = m.get_connection();
        let backend = m.get_database_backend();
        let select = Query::select()
            .columns([Alias::new("id"), Alias::new("display_name")])
            .from(Alias::new("users"))
            .to_owned();
        let people = Person::find_by_statement(backend.build(&select)).all(db).await?;
        for p in people {
            let keys = name_keys(&p.display_name);
            let update = Query::update()
                .table(Alias::new("users"))
                .value(Alias::new("pinyin"), keys.pinyin)
                .value(Alias::new("pinyin_initials"), keys.initials)
                .and_where(Expr::col(Alias::new("id")).eq(p.id))
                .to_owned();
            db.execute(&update).await?;
        }
        m.create_index(index("users", &["pinyin", "id"], false).if_not_exists().to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in ["pinyin_initials", "pinyin"] {
            m.alter_table(Table::alter().table(Alias::new("users")).drop_column(Alias::new(column)).to_owned()).await?;
        }
        Ok(())
    }
}
