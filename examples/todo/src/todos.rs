//! The todo list itself, beside Portcullis' data in the same database: a
//! table through SeaORM (SQLite, PostgreSQL, MySQL) or a MongoDB collection.
// axum handlers conventionally return `Result<_, Response>`.
#![allow(clippy::result_large_err)]

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use axum::{Json, Router};
use mongodb::bson::{Document, doc};
use portcullis_axum::CurrentUser;
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
pub(crate) enum Todos {
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

#[derive(Deserialize)]
struct NewTodo {
    title: String,
}

#[derive(Deserialize)]
struct Change {
    title: Option<String>,
    done: Option<bool>,
}

fn fail(status: StatusCode, msg: &str) -> Response {
    (
        status,
        Json(json!({"meta": {"code": status.as_u16()}, "response": {"errors": [msg]}})),
    )
        .into_response()
}

fn unavailable<E>(_: E) -> Response {
    fail(
        StatusCode::SERVICE_UNAVAILABLE,
        "The todo list is unavailable.",
    )
}

fn title(t: &str) -> Result<String, Response> {
    let t = t.trim();
    if t.is_empty() || t.chars().count() > 200 {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "A title of 1 to 200 characters is needed.",
        ));
    }
    Ok(t.to_owned())
}

impl Todos {
    /// Uses `db` (Portcullis' own pool on a server database, or a
    /// connection to the same SQLite file) and creates the table if needed.
    pub(crate) async fn open(db: DatabaseConnection) -> Result<Self, String> {
        let backend = db.get_database_backend();
        let create = Schema::new(backend)
            .create_table_from_entity(todo::Entity)
            .if_not_exists()
            .to_owned();
        db.execute(&create).await.map_err(|e| e.to_string())?;
        Ok(Self::Sql(db))
    }

    /// Uses the `todo` collection of `db`.
    pub(crate) fn mongo(db: mongodb::Database) -> Self {
        Self::Mongo(db)
    }

    pub(crate) fn routes(self) -> Router {
        Router::new()
            .route("/api/todos", get(list).post(create))
            .route("/api/todos/{id}", patch(update).delete(remove))
            .with_state(self)
    }

    fn coll(db: &mongodb::Database) -> mongodb::Collection<Document> {
        db.collection("todo")
    }

    async fn rows(&self, user: i64) -> Result<Vec<Value>, Response> {
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

    async fn insert(&self, user: i64, title: String) -> Result<Row, Response> {
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
    ) -> Result<bool, Response> {
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
    async fn delete(&self, id: i64, user: i64) -> Result<bool, Response> {
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
    ) -> Result<Option<todo::Model>, Response> {
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
fn key(user: i64) -> Result<i32, Response> {
    i32::try_from(user).map_err(|_| fail(StatusCode::NOT_FOUND, "No such todo."))
}

async fn list(State(t): State<Todos>, user: CurrentUser) -> Result<Json<Value>, Response> {
    Ok(Json(json!({"todos": t.rows(user.user.id).await?})))
}

async fn create(
    State(t): State<Todos>,
    user: CurrentUser,
    body: Result<Json<NewTodo>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Response> {
    let Json(new) = body.map_err(|e| fail(StatusCode::BAD_REQUEST, &e.body_text()))?;
    let row = t.insert(user.user.id, title(&new.title)?).await?;
    Ok((StatusCode::CREATED, Json(row.json())).into_response())
}

async fn update(
    State(t): State<Todos>,
    user: CurrentUser,
    Path(id): Path<i64>,
    body: Result<Json<Change>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, Response> {
    let Json(ch) = body.map_err(|e| fail(StatusCode::BAD_REQUEST, &e.body_text()))?;
    let new_title = ch.title.as_deref().map(title).transpose()?;
    if !t.change(id, user.user.id, new_title, ch.done).await? {
        return Err(fail(StatusCode::NOT_FOUND, "No such todo."));
    }
    Ok(Json(json!({"todos": t.rows(user.user.id).await?})))
}

async fn remove(
    State(t): State<Todos>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, Response> {
    if t.delete(id, user.user.id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(fail(StatusCode::NOT_FOUND, "No such todo."))
    }
}
