//! The app's own routes on axum: the home page, the API and the todo list
//! behind Portcullis' layer.
// axum handlers conventionally return `Result<_, Response>`.
#![allow(clippy::result_large_err)]

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri, header};
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
    let mut app = Router::new();
    for view in crate::SPA_VIEWS {
        app = app.route(view, get(spa_view));
    }
    let app = app
        .route("/", get(page))
        .route(crate::TODO_JS_PATH, get(script))
        .route(crate::TODO_CSS_PATH, get(style))
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

async fn page(user: CurrentUser) -> Html<String> {
    Html(crate::home_page(&user.user.email))
}

async fn spa_view(uri: Uri, Query(q): Query<Vec<(String, String)>>) -> Response {
    match crate::spa_view_page(uri.path(), &q) {
        Some(html) => Html(html).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        crate::TODO_JS,
    )
}

async fn style() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        crate::TODO_CSS,
    )
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
