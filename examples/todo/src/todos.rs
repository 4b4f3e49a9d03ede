//! The todo list itself, beside Portcullis' data in the same database: a
//! table through SeaORM (SQLite, PostgreSQL, MySQL) or a MongoDB collection.
//! Framework-neutral: each adapter's app has its own handlers over it.

pub use http::StatusCode;
use mongodb::bson::{Document, doc};
use portcullis_mongodb::mongodb;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Schema, Set,
};
use serde::Deserialize;
use serde_json::{Value, json};

/// The `todo` table.
mod todo {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "todo")]
    pub(crate) struct Model {
        #[sea_orm(primary_key)]
        pub(crate) id: i32,
        pub(crate) user_id: i32,
        pub(crate) title: String,
        pub(crate) done: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Where the todos are kept.
#[derive(Clone)]
pub enum Todos {
    /// The `todo` table.
    Sql(DatabaseConnection),
    /// The `todo` collection (ids from `portcullis_counters`).
    Mongo(mongodb::Database),
}

/// A todo row, whatever the store.
struct Row {
    id: i64,
    title: String,
    done: bool,
}

impl Row {
    fn json(&self) -> Value {
        json!({"id": self.id, "title": self.title, "done": self.done})
    }
}

/// A new todo, as posted.
#[derive(Debug, Deserialize)]
pub struct NewTodo {
    /// Its title.
    pub title: String,
}

/// A change to a todo, as patched.
#[derive(Debug, Deserialize)]
pub struct Change {
    /// A new title.
    pub title: Option<String>,
    /// Done or not.
    pub done: Option<bool>,
}

/// Why a todo request failed: a status and a message, answered in
/// Flask-Security's envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The status.
    pub status: StatusCode,
    /// The message.
    pub message: String,
}

impl Failure {
    /// A failure with `status` and `message`.
    pub fn new(status: StatusCode, message: &str) -> Self {
        Self {
            status,
            message: message.to_owned(),
        }
    }

    /// The envelope.
    pub fn body(&self) -> Value {
        json!({"meta": {"code": self.status.as_u16()}, "response": {"errors": [self.message]}})
    }
}

fn unavailable<E>(_: E) -> Failure {
    Failure::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "The todo list is unavailable.",
    )
}

fn not_found() -> Failure {
    Failure::new(StatusCode::NOT_FOUND, "No such todo.")
}

/// A title of 1 to 200 characters, trimmed.
pub fn title(t: &str) -> Result<String, Failure> {
    let t = t.trim();
    if t.is_empty() || t.chars().count() > 200 {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "A title of 1 to 200 characters is needed.",
        ));
    }
    Ok(t.to_owned())
}

impl Todos {
    /// Uses `db` (Portcullis' own pool on a server database, or a
    /// connection to the same SQLite file) and creates the table if needed.
    pub async fn open(db: DatabaseConnection) -> Result<Self, String> {
        let backend = db.get_database_backend();
        let create = Schema::new(backend)
            .create_table_from_entity(todo::Entity)
            .if_not_exists()
            .to_owned();
        db.execute(&create).await.map_err(|e| e.to_string())?;
        Ok(Self::Sql(db))
    }

    /// Uses the `todo` collection of `db`.
    pub fn mongo(db: mongodb::Database) -> Self {
        Self::Mongo(db)
    }

    fn coll(db: &mongodb::Database) -> mongodb::Collection<Document> {
        db.collection("todo")
    }

    async fn rows(&self, user: i64) -> Result<Vec<Value>, Failure> {
        let rows: Vec<Row> = match self {
            Self::Sql(db) => todo::Entity::find()
                .filter(todo::Column::UserId.eq(key(user)?))
                .order_by_asc(todo::Column::Id)
                .all(db)
                .await
                .map_err(unavailable)?
                .into_iter()
                .map(|t| Row {
                    id: i64::from(t.id),
                    title: t.title,
                    done: t.done,
                })
                .collect(),
            Self::Mongo(db) => {
                let mut cursor = Self::coll(db)
                    .find(doc! {"user_id": user})
                    .sort(doc! {"_id": 1})
                    .await
                    .map_err(unavailable)?;
                let mut rows = Vec::new();
                while cursor.advance().await.map_err(unavailable)? {
                    let d = cursor.deserialize_current().map_err(unavailable)?;
                    rows.push(Row {
                        id: d.get_i64("_id").map_err(unavailable)?,
                        title: d.get_str("title").map_err(unavailable)?.to_owned(),
                        done: d.get_bool("done").unwrap_or(false),
                    });
                }
                rows
            }
        };
        Ok(rows.iter().map(Row::json).collect())
    }

    async fn insert(&self, user: i64, title: String) -> Result<Row, Failure> {
        match self {
            Self::Sql(db) => {
                let row = todo::ActiveModel {
                    user_id: Set(key(user)?),
                    title: Set(title),
                    done: Set(false),
                    ..Default::default()
                }
                .insert(db)
                .await
                .map_err(unavailable)?;
                Ok(Row {
                    id: i64::from(row.id),
                    title: row.title,
                    done: row.done,
                })
            }
            Self::Mongo(db) => {
                let counter = db
                    .collection::<Document>("portcullis_counters")
                    .find_one_and_update(doc! {"_id": "todo"}, doc! {"$inc": {"seq": 1_i64}})
                    .upsert(true)
                    .return_document(mongodb::options::ReturnDocument::After)
                    .await
                    .map_err(unavailable)?
                    .ok_or_else(|| unavailable(()))?;
                let id = counter.get_i64("seq").map_err(unavailable)?;
                Self::coll(db)
                    .insert_one(doc! {"_id": id, "user_id": user, "title": &title, "done": false})
                    .await
                    .map_err(unavailable)?;
                Ok(Row {
                    id,
                    title,
                    done: false,
                })
            }
        }
    }

    /// Applies a change to the user's todo `id`; `false` when there is none.
    async fn change(
        &self,
        id: i64,
        user: i64,
        title: Option<String>,
        done: Option<bool>,
    ) -> Result<bool, Failure> {
        match self {
            Self::Sql(db) => {
                let Some(row) = self.sql_row(db, id, user).await? else {
                    return Ok(false);
                };
                let mut row: todo::ActiveModel = row.into();
                if let Some(t) = title {
                    row.title = Set(t);
                }
                if let Some(d) = done {
                    row.done = Set(d);
                }
                row.update(db).await.map_err(unavailable)?;
                Ok(true)
            }
            Self::Mongo(db) => {
                let mut set = Document::new();
                if let Some(t) = title {
                    set.insert("title", t);
                }
                if let Some(d) = done {
                    set.insert("done", d);
                }
                let filter = doc! {"_id": id, "user_id": user};
                if set.is_empty() {
                    return Ok(Self::coll(db)
                        .find_one(filter)
                        .await
                        .map_err(unavailable)?
                        .is_some());
                }
                Ok(Self::coll(db)
                    .update_one(filter, doc! {"$set": set})
                    .await
                    .map_err(unavailable)?
                    .matched_count
                    == 1)
            }
        }
    }

    /// Deletes the user's todo `id`; `false` when there is none.
    async fn delete(&self, id: i64, user: i64) -> Result<bool, Failure> {
        match self {
            Self::Sql(db) => {
                let Some(row) = self.sql_row(db, id, user).await? else {
                    return Ok(false);
                };
                todo::Entity::delete_by_id(row.id)
                    .exec(db)
                    .await
                    .map_err(unavailable)?;
                Ok(true)
            }
            Self::Mongo(db) => Ok(Self::coll(db)
                .delete_one(doc! {"_id": id, "user_id": user})
                .await
                .map_err(unavailable)?
                .deleted_count
                == 1),
        }
    }

    async fn sql_row(
        &self,
        db: &DatabaseConnection,
        id: i64,
        user: i64,
    ) -> Result<Option<todo::Model>, Failure> {
        let Ok(id) = i32::try_from(id) else {
            return Ok(None);
        };
        todo::Entity::find_by_id(id)
            .filter(todo::Column::UserId.eq(key(user)?))
            .one(db)
            .await
            .map_err(unavailable)
    }
}

/// A user id as the SQL table keeps it.
fn key(user: i64) -> Result<i32, Failure> {
    i32::try_from(user).map_err(|_| not_found())
}

impl Todos {
    /// The user's todos: `{"todos": [...]}`.
    pub async fn list(&self, user: i64) -> Result<Value, Failure> {
        Ok(json!({"todos": self.rows(user).await?}))
    }

    /// Adds a todo for the user: the new todo.
    pub async fn create(&self, user: i64, new: &NewTodo) -> Result<Value, Failure> {
        Ok(self.insert(user, title(&new.title)?).await?.json())
    }

    /// Changes the user's todo `id`: the list after the change.
    pub async fn update(&self, user: i64, id: i64, ch: &Change) -> Result<Value, Failure> {
        let new_title = ch.title.as_deref().map(title).transpose()?;
        if !self.change(id, user, new_title, ch.done).await? {
            return Err(not_found());
        }
        self.list(user).await
    }

    /// Deletes the user's todo `id`.
    pub async fn remove(&self, user: i64, id: i64) -> Result<(), Failure> {
        if self.delete(id, user).await? {
            Ok(())
        } else {
            Err(not_found())
        }
    }
}
