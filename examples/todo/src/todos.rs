//! The todo list itself: one table beside Portcullis' in the same database,
//! through SeaORM, so it works on SQLite, PostgreSQL and MySQL alike.
// axum handlers conventionally return `Result<_, Response>`.
#![allow(clippy::result_large_err)]

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use axum::{Json, Router};
use portcullis_axum::CurrentUser;
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

#[derive(Clone)]
pub(crate) struct Todos {
    db: DatabaseConnection,
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

fn unavailable(_: sea_orm::DbErr) -> Response {
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

/// The signed-in user's id as the table keeps it.
fn owner(user: &CurrentUser) -> Result<i32, Response> {
    i32::try_from(user.user.id).map_err(|_| fail(StatusCode::NOT_FOUND, "No such todo."))
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
        Ok(Self { db })
    }

    pub(crate) fn routes(self) -> Router {
        Router::new()
            .route("/api/todos", get(list).post(create))
            .route("/api/todos/{id}", patch(update).delete(remove))
            .with_state(self)
    }

    async fn rows(&self, user: i32) -> Result<Vec<Value>, Response> {
        Ok(todo::Entity::find()
            .filter(todo::Column::UserId.eq(user))
            .order_by_asc(todo::Column::Id)
            .all(&self.db)
            .await
            .map_err(unavailable)?
            .into_iter()
            .map(|t| json!({"id": t.id, "title": t.title, "done": t.done}))
            .collect())
    }

    async fn mine(&self, id: i64, user: i32) -> Result<todo::Model, Response> {
        let id = i32::try_from(id).map_err(|_| fail(StatusCode::NOT_FOUND, "No such todo."))?;
        todo::Entity::find_by_id(id)
            .filter(todo::Column::UserId.eq(user))
            .one(&self.db)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| fail(StatusCode::NOT_FOUND, "No such todo."))
    }
}

async fn list(State(t): State<Todos>, user: CurrentUser) -> Result<Json<Value>, Response> {
    Ok(Json(json!({"todos": t.rows(owner(&user)?).await?})))
}

async fn create(
    State(t): State<Todos>,
    user: CurrentUser,
    body: Result<Json<NewTodo>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Response> {
    let Json(new) = body.map_err(|e| fail(StatusCode::BAD_REQUEST, &e.body_text()))?;
    let title = title(&new.title)?;
    let row = todo::ActiveModel {
        user_id: Set(owner(&user)?),
        title: Set(title),
        done: Set(false),
        ..Default::default()
    }
    .insert(&t.db)
    .await
    .map_err(unavailable)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": row.id, "title": row.title, "done": row.done})),
    )
        .into_response())
}

async fn update(
    State(t): State<Todos>,
    user: CurrentUser,
    Path(id): Path<i64>,
    body: Result<Json<Change>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, Response> {
    let Json(ch) = body.map_err(|e| fail(StatusCode::BAD_REQUEST, &e.body_text()))?;
    let uid = owner(&user)?;
    let mut row: todo::ActiveModel = t.mine(id, uid).await?.into();
    if let Some(new) = &ch.title {
        row.title = Set(title(new)?);
    }
    if let Some(done) = ch.done {
        row.done = Set(done);
    }
    if ch.title.is_some() || ch.done.is_some() {
        row.update(&t.db).await.map_err(unavailable)?;
    }
    Ok(Json(json!({"todos": t.rows(uid).await?})))
}

async fn remove(
    State(t): State<Todos>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, Response> {
    let row = t.mine(id, owner(&user)?).await?;
    todo::Entity::delete_by_id(row.id)
        .exec(&t.db)
        .await
        .map_err(unavailable)?;
    Ok(StatusCode::NO_CONTENT)
}
