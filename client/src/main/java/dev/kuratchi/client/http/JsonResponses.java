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
            JsonNode node = JSON.readTree(text);
            return node != null && node.isObject() ? node : null;
        } catch (IOException notJson) {
            return null;
        }
    }
}
