package dev.kuratchi.client.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import okhttp3.Response;

/** Reading JSON answers from services that may also answer with something else (an edge error page). */
public final class JsonResponses {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonResponses() {}

    /** The body's JSON object, or null when the body is not one. Consumes the body. */
    public static JsonNode objectOrNull(Response response) throws IOException {
        String text = response.body().string();
        try {
            return objectOrNull(JSON.readTree(text));
        } catch (IOException notJson) {
            return null;
        }
    }

    /** The JSON object in a body already read, or null when it is not one. */
    public static JsonNode objectOrNull(byte[] body) {
        try {
            return objectOrNull(JSON.readTree(body));
        } catch (IOException notJson) {
            return null;
        }
    }

    private static JsonNode objectOrNull(JsonNode node) {
        return node != null && node.isObject() ? node : null;
    }
}
