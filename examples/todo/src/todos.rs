//! The todo list itself: one table beside Portcullis' in the same SQLite file.
// axum handlers conventionally return `Result<_, Response>`.
#![allow(clippy::result_large_err)]

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use axum::{Json, Router};
use portcullis_axum::CurrentUser;
use rusqlite::{Connection, params};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Clone)]
pub(crate) struct Todos {
    conn: Arc<Mutex<Connection>>,
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

impl Todos {
    pub(crate) fn open(database_url: &str) -> Result<Self, String> {
        let path = database_url
            .strip_prefix("sqlite://")
            .or_else(|| database_url.strip_prefix("sqlite:"))
            .ok_or("the todo example keeps its list in SQLite")?;
        let conn = Connection::open(path).map_err(|e| e.to_string())?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| e.to_string())?;
        conn.execute_batch("CREATE TABLE IF NOT EXISTS todo (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, title TEXT NOT NULL, done BOOLEAN NOT NULL DEFAULT 0)")
            .map_err(|e| e.to_string())?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    pub(crate) fn routes(self) -> Router {
        Router::new()
            .route("/api/todos", get(list).post(create))
            .route("/api/todos/{id}", patch(update).delete(remove))
            .with_state(self)
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, Response> {
        let conn = self
            .conn
            .lock()
            .map_err(|_| fail(StatusCode::INTERNAL_SERVER_ERROR, "lock"))?;
        f(&conn).map_err(|_| {
            fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The todo list is unavailable.",
            )
        })
    }
}

fn rows(conn: &Connection, user: i64) -> rusqlite::Result<Vec<Value>> {
    let mut stmt =
        conn.prepare("SELECT id, title, done FROM todo WHERE user_id = ?1 ORDER BY id")?;
    let v = stmt.query_map([user], |r| Ok(json!({"id": r.get::<_, i64>(0)?, "title": r.get::<_, String>(1)?, "done": r.get::<_, bool>(2)?})))?;
    v.collect()
}

async fn list(State(t): State<Todos>, user: CurrentUser) -> Result<Json<Value>, Response> {
    Ok(Json(json!({"todos": t.with(|c| rows(c, user.user.id))?})))
}

async fn create(
    State(t): State<Todos>,
    user: CurrentUser,
    body: Result<Json<NewTodo>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Response> {
    let Json(new) = body.map_err(|e| fail(StatusCode::BAD_REQUEST, &e.body_text()))?;
    let title = new.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "A title of 1 to 200 characters is needed.",
        ));
    }
    let id = t.with(|c| {
        c.execute(
            "INSERT INTO todo (user_id, title) VALUES (?1, ?2)",
            params![user.user.id, title],
        )
        .map(|_| c.last_insert_rowid())
    })?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "title": title, "done": false})),
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
    let uid = user.user.id;
    let n = t.with(|c| c.execute("UPDATE todo SET title = COALESCE(?1, title), done = COALESCE(?2, done) WHERE id = ?3 AND user_id = ?4", params![ch.title, ch.done, id, uid]))?;
    if n == 0 {
        return Err(fail(StatusCode::NOT_FOUND, "No such todo."));
    }
    Ok(Json(json!({"todos": t.with(|c| rows(c, uid))?})))
}

async fn remove(
    State(t): State<Todos>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, Response> {
    let n = t.with(|c| {
        c.execute(
            "DELETE FROM todo WHERE id = ?1 AND user_id = ?2",
            params![id, user.user.id],
        )
    })?;
    if n == 0 {
        Err(fail(StatusCode::NOT_FOUND, "No such todo."))
    } else {
        Ok(StatusCode::NO_CONTENT)
    }
}
