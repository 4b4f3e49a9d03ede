//! The app's own routes on axum: the home page, the API and the todo list
//! behind Portcullis' layer.
// axum handlers conventionally return `Result<_, Response>`.
#![allow(clippy::result_large_err)]

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, patch};
use axum::{Json, Router};
use portcullis_axum::{CurrentUser, Guard, PortcullisAxum, Rule};
use serde_json::{Value, json};

use crate::Parts;
use crate::todos::{Change, Failure, NewTodo, Todos};

/// The app: Portcullis' endpoints and sessions in front of the routes.
pub(crate) fn router(parts: Parts) -> Router {
    let auth = PortcullisAxum::from_portcullis(parts.portcullis);
    let app = Router::new()
        .route("/", get(page))
        .route("/api/public", get(|| async { Json(json!({"ok": true})) }))
        .route("/api/me", get(me))
        .route(
            "/api/admin",
            get(|| async { Json(json!({"ok": true, "who": "admin"})) })
                .route_layer(Guard::new(Rule::roles_required(["admin"]))),
        )
        .route(
            "/api/write",
            get(|| async { Json(json!({"ok": true, "who": "writer"})) })
                .route_layer(Guard::new(Rule::permissions_required(["admin-write"]))),
        )
        .route("/api/todos", get(list).post(create))
        .route("/api/todos/{id}", patch(update).delete(remove))
        .with_state(parts.todos);
    auth.wrap(app)
}

fn fail(f: Failure) -> Response {
    (f.status, Json(f.body())).into_response()
}

fn bad_json(e: axum::extract::rejection::JsonRejection) -> Response {
    fail(Failure::new(StatusCode::BAD_REQUEST, &e.body_text()))
}

async fn me(user: CurrentUser) -> Json<Value> {
    Json(json!({"email": user.user.email, "login_count": user.user.login_count}))
}

async fn page(user: Option<CurrentUser>) -> Html<String> {
    Html(crate::home_page(
        user.as_ref().map(|u| u.user.email.as_str()),
    ))
}

async fn list(State(t): State<Todos>, user: CurrentUser) -> Result<Json<Value>, Response> {
    t.list(user.user.id).await.map(Json).map_err(fail)
}

async fn create(
    State(t): State<Todos>,
    user: CurrentUser,
    body: Result<Json<NewTodo>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Response> {
    let Json(new) = body.map_err(bad_json)?;
    let row = t.create(user.user.id, &new).await.map_err(fail)?;
    Ok((StatusCode::CREATED, Json(row)).into_response())
}

async fn update(
    State(t): State<Todos>,
    user: CurrentUser,
    Path(id): Path<i64>,
    body: Result<Json<Change>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, Response> {
    let Json(ch) = body.map_err(bad_json)?;
    t.update(user.user.id, id, &ch)
        .await
        .map(Json)
        .map_err(fail)
}

async fn remove(
    State(t): State<Todos>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, Response> {
    t.remove(user.user.id, id)
        .await
        .map(|()| StatusCode::NO_CONTENT)
        .map_err(fail)
}
