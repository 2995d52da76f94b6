package dev.kuratchi.example;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.kuratchi.client.gateway.GatewayClient;
import dev.kuratchi.client.gateway.GatewayException;
import dev.kuratchi.client.gateway.Row;
import dev.kuratchi.client.gateway.Statement;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /items} (every row, as a JSON list), {@code POST /items} ({@code {"name": "pear", "price": 2.5}}, answered
 * 201 with the stored row) and {@code GET /healthz} (200 when the database answers with its items table, 503 with the
 * reason otherwise: the readiness probe). Errors are {@code {"error": "..."}}.
 */
final class ItemsApi {
    private static final ObjectMapper JSON = new ObjectMapper();
    // An item is a name and a price: anything larger is not a request this API serves.
    private static final int MAX_BODY_BYTES = 16 * 1024;

    private final GatewayClient gateway;

    ItemsApi(GatewayClient gateway) {
        this.gateway = gateway;
    }

    void register(HttpServer server) {
        server.createContext("/", exchange -> {
            try {
                route(exchange);
            } finally {
                exchange.close();
            }
        });
    }

    private void route(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        try {
            switch (path) {
                case "/items" -> {
                    switch (method) {
                        case "GET" -> send(exchange, 200, list());
                        case "POST" -> send(exchange, 201, create(exchange.getRequestBody()));
                        default -> methodNotAllowed(exchange, "GET, POST");
                    }
                }
                case "/healthz" -> {
                    if (method.equals("GET")) {
                        health(exchange);
                    } else {
                        methodNotAllowed(exchange, "GET");
                    }
                }
                default -> error(exchange, 404, "no " + path + " here; try GET /items, POST /items or GET /healthz");
            }
        } catch (BadRequest e) {
            error(exchange, 400, e.getMessage());
        } catch (GatewayException e) {
            // The gateway's code and message never hold the token; they say what the database refused.
            System.err.println(ExampleApp.NAME + ": " + method + " " + path + ": " + e);
            error(exchange, 502, "the database refused: " + e.code() + ": " + e.getMessage());
        } catch (RuntimeException e) {
            System.err.println(ExampleApp.NAME + ": " + method + " " + path + ": " + e);
            error(exchange, 500, "internal error");
        }
    }

    private List<Map<String, Object>> list() {
        return gateway.query("SELECT id, name, price FROM items ORDER BY id").stream().map(Row::asMap).toList();
    }

    private Map<String, Object> create(InputStream body) throws IOException {
        byte[] bytes = body.readNBytes(MAX_BODY_BYTES + 1);
        if (bytes.length > MAX_BODY_BYTES) {
            throw new BadRequest("the body is over " + MAX_BODY_BYTES + " bytes");
        }
        JsonNode item;
        try {
            item = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new BadRequest("the body is not JSON; send {\"name\": \"pear\", \"price\": 2.5}");
        }
        if (item == null || !item.path("name").isTextual() || item.path("name").asText().isBlank()
                || !item.path("price").isNumber()) {
            throw new BadRequest("send {\"name\": \"pear\", \"price\": 2.5}: a non-empty name and a numeric price");
        }
        // RETURNING gives the row as stored (its id and the REAL price) in the same statement, so no second query.
        Row row = gateway.run(Statement.of("INSERT INTO items (name, price) VALUES (?, ?) RETURNING id, name, price",
                item.get("name").asText(), item.get("price").doubleValue())).rows().get(0);
        return row.asMap();
    }

    private void health(HttpExchange exchange) throws IOException {
        try {
            gateway.query("SELECT 1 FROM items LIMIT 1");
            send(exchange, 200, Map.of("status", "ok", "database", gateway.databaseName()));
        } catch (GatewayException e) {
            String reason = e.code() + ": " + e.getMessage();
            if (e.getMessage() != null && e.getMessage().contains("no such table")) {
                reason += " (the DoDatabase's migrations make it: see examples/dodatabase.yaml)";
            }
            send(exchange, 503, Map.of("status", "unavailable", "error", reason));
        } catch (IllegalStateException | UncheckedIOException e) {
            // The mounted Secret went missing or broken after start: say so rather than serve 500s.
            send(exchange, 503, Map.of("status", "unavailable", "error", e.getMessage()));
        }
    }

    private static void methodNotAllowed(HttpExchange exchange, String allowed) throws IOException {
        exchange.getResponseHeaders().set("Allow", allowed);
        error(exchange, 405, exchange.getRequestMethod() + " is not served here; use " + allowed);
    }

    private static void error(HttpExchange exchange, int status, String message) throws IOException {
        send(exchange, status, Map.of("error", message));
    }

    private static void send(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    /** A request this API cannot serve as sent; the message says what to send. */
    private static final class BadRequest extends RuntimeException {
        BadRequest(String message) {
            super(message);
        }
    }
}
