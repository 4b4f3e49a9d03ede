#![doc = include_str!("../README.md")]

use std::sync::Arc;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use portcullis_actix::{CurrentUser, PortcullisActix, Require, Rule};
use portcullis_core::{Mailer, SmsSender};
use serde_json::json;
use todo::todos::{Change, Failure, NewTodo, Todos};
use todo::{Parts, Settings};

fn fail(f: Failure) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(f.status.as_u16())
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status).json(f.body())
}

fn bad_json(e: &actix_web::error::JsonPayloadError) -> HttpResponse {
    fail(Failure::new(
        http_status(400),
        &format!("Failed to parse the request body as JSON: {e}"),
    ))
}

fn http_status(code: u16) -> todo::todos::StatusCode {
    todo::todos::StatusCode::from_u16(code).unwrap_or(todo::todos::StatusCode::BAD_REQUEST)
}

async fn me(user: CurrentUser) -> HttpResponse {
    HttpResponse::Ok().json(json!({"email": user.user.email, "login_count": user.user.login_count}))
}

async fn page(user: CurrentUser) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(todo::home_page(&user.user.email))
}

async fn spa_view(req: HttpRequest, q: web::Query<Vec<(String, String)>>) -> HttpResponse {
    match todo::spa_view_page(req.path(), &q) {
        Some(html) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(html),
        None => HttpResponse::NotFound().finish(),
    }
}

async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(todo::TODO_JS)
}

async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(todo::TODO_CSS)
}

async fn list(t: web::Data<Todos>, user: CurrentUser) -> HttpResponse {
    match t.list(user.user.id).await {
        Ok(v) => HttpResponse::Ok().json(v),
        Err(f) => fail(f),
    }
}

async fn create(
    t: web::Data<Todos>,
    user: CurrentUser,
    body: Result<web::Json<NewTodo>, actix_web::Error>,
) -> HttpResponse {
    let new = match body {
        Ok(b) => b.into_inner(),
        Err(e) => return json_error(&e),
    };
    match t.create(user.user.id, &new).await {
        Ok(v) => HttpResponse::Created().json(v),
        Err(f) => fail(f),
    }
}

async fn update(
    t: web::Data<Todos>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Result<web::Json<Change>, actix_web::Error>,
) -> HttpResponse {
    let ch = match body {
        Ok(b) => b.into_inner(),
        Err(e) => return json_error(&e),
    };
    match t.update(user.user.id, id.into_inner(), &ch).await {
        Ok(v) => HttpResponse::Ok().json(v),
        Err(f) => fail(f),
    }
}

async fn remove(t: web::Data<Todos>, user: CurrentUser, id: web::Path<i64>) -> HttpResponse {
    match t.remove(user.user.id, id.into_inner()).await {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(f) => fail(f),
    }
}

fn json_error(e: &actix_web::Error) -> HttpResponse {
    match e.as_error::<actix_web::error::JsonPayloadError>() {
        Some(j) => bad_json(j),
        None => fail(Failure::new(http_status(400), &e.to_string())),
    }
}

/// The app's routes, for `App::configure`.
pub fn configure(todos: Todos) -> impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static {
    move |cfg: &mut web::ServiceConfig| {
        for view in todo::SPA_VIEWS {
            cfg.route(view, web::get().to(spa_view));
        }
        cfg.app_data(web::Data::new(todos.clone()))
            .route("/", web::get().to(page))
            .route(todo::TODO_JS_PATH, web::get().to(script))
            .route(todo::TODO_CSS_PATH, web::get().to(style))
            .route(
                "/api/public",
                web::get().to(|| async { HttpResponse::Ok().json(json!({"ok": true})) }),
            )
            .route("/api/me", web::get().to(me))
            .service(
                web::resource("/api/admin")
                    .wrap(Require::new(Rule::roles_required(["admin"])))
                    .route(web::get().to(|| async {
                        HttpResponse::Ok().json(json!({"ok": true, "who": "admin"}))
                    })),
            )
            .service(
                web::resource("/api/write")
                    .wrap(Require::new(Rule::permissions_required(["admin-write"])))
                    .route(web::get().to(|| async {
                        HttpResponse::Ok().json(json!({"ok": true, "who": "writer"}))
                    })),
            )
            .route("/api/todos", web::get().to(list))
            .route("/api/todos", web::post().to(create))
            .route("/api/todos/{id}", web::patch().to(update))
            .route("/api/todos/{id}", web::delete().to(remove));
    }
}

/// Serves the app on `listener` with `settings.serve`'s limits; the
/// server's handle (to stop it) and its future (to run or spawn).
pub fn serve(
    listener: std::net::TcpListener,
    parts: Parts,
    settings: &Settings,
) -> std::io::Result<actix_web::dev::Server> {
    let auth = PortcullisActix::from_portcullis(parts.portcullis);
    let routes = configure(parts.todos);
    let limits = settings.serve.clone();
    let server = HttpServer::new(move || {
        App::new()
            .wrap(auth.wrap())
            .configure(routes.clone())
            .default_service(web::to(|| async { HttpResponse::NotFound().finish() }))
    })
    .max_connections(limits.max_connections)
    .client_request_timeout(limits.header_read_timeout)
    .shutdown_timeout(limits.shutdown_timeout.as_secs())
    .workers(std::thread::available_parallelism().map_or(2, |n| n.get()))
    .listen(listener)?
    .run();
    Ok(server)
}

/// Builds the parts (see [`todo::parts`]) and serves them on `listener`
/// in the background of the current tokio runtime.
pub async fn spawn(
    listener: std::net::TcpListener,
    settings: &Settings,
    mailer: Option<Arc<dyn Mailer>>,
    sms: Option<Arc<dyn SmsSender>>,
) -> Result<ServerHandle, String> {
    let parts = todo::parts(settings, mailer, sms).await?;
    let server = serve(listener, parts, settings).map_err(|e| e.to_string())?;
    let handle = server.handle();
    tokio::spawn(server);
    Ok(handle)
}
