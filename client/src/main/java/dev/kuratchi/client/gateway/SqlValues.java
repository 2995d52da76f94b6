package dev.kuratchi.client.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Conversion between Java values and the gateway's JSON values. Blobs travel as {"$blob": base64}. Numbers are
 * JavaScript doubles on the Worker side, so an integral number comes back as {@link Long} and any other as
 * {@link Double}; an integer parameter beyond 2^53 is refused rather than silently rounded.
 */
public final class SqlValues {
    static final long MAX_EXACT_INTEGER = 1L << 53;
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private SqlValues() {}

    /**
     * The value a Java value binds as; every statement's parameters, and so every value the ORM binds, go through it:
     * <ul>
     *   <li>{@code null}: NULL;
     *   <li>{@link String}: TEXT;
     *   <li>{@link Long}, {@link Integer}, {@link Short}, {@link Byte}: a number, at most 2^53 in magnitude (beyond,
     *       it would be rounded: bind it as a String);
     *   <li>{@link Double}, {@link Float}: a number, finite;
     *   <li>{@link Boolean}: 1 or 0;
     *   <li>{@code byte[]}: BLOB;
     *   <li>{@link Instant}: its epoch milliseconds, as kuratchi-sdk's {@code timestamp_ms} columns hold time.
     * </ul>
     * The Worker binds every number as REAL; a column with INTEGER affinity stores an integral one as INTEGER.
     * Returns {@code null}, a String, Long, Double, Boolean or byte[].
     *
     * @throws IllegalArgumentException for any other type or a number it cannot carry exactly
     */
    public static Object param(Object value) {
        if (value == null || value instanceof String || value instanceof Boolean || value instanceof byte[]) {
            return value;
        }
        if (value instanceof Instant instant) {
            return param(instant.toEpochMilli());
        }
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            long number = ((Number) value).longValue();
            if (Math.abs(number) > MAX_EXACT_INTEGER) {
                throw new IllegalArgumentException("integer parameter " + number
                        + " is beyond 2^53 and would lose precision in the gateway; bind it as a String");
            }
            return number;
        }
        if (value instanceof Double || value instanceof Float) {
            double number = ((Number) value).doubleValue();
            if (!Double.isFinite(number)) {
                throw new IllegalArgumentException("parameter must be a finite number, got " + number);
            }
            return number;
        }
        throw new IllegalArgumentException("unsupported SQL parameter type " + value.getClass().getName()
                + ": use String, Long, Integer, Double, Boolean, byte[], Instant or null");
    }

    /**
     * The values, each converted by {@link #param}, as the text of one JSON array: a whole list bound as one
     * parameter and read back by SQLite's {@code json_each}, where strings stay TEXT, numbers become INTEGER or
     * REAL and booleans 1 or 0, as when bound one by one.
     *
     * @throws IllegalArgumentException for a value {@link #param} refuses, or a blob: JSON has no blob type
     */
    public static String jsonArray(Collection<?> values) {
        ArrayNode array = JSON.arrayNode();
        for (Object value : values) {
            Object param = param(value);
            if (param instanceof byte[]) {
                throw new IllegalArgumentException("a blob (byte[]) cannot be in a JSON list: JSON has no blob type");
            }
            array.add(toJson(param));
        }
        return array.toString();
    }

    static JsonNode toJson(Object value) {
        if (value == null) {
            return JSON.nullNode();
        }
        if (value instanceof String text) {
            return JSON.textNode(text);
        }
        if (value instanceof Boolean bool) {
            return JSON.booleanNode(bool);
        }
        if (value instanceof Long number) {
            return JSON.numberNode(number);
        }
        if (value instanceof Double number) {
            return JSON.numberNode(number);
        }
        ObjectNode blob = JSON.objectNode();
        blob.put("$blob", Base64.getEncoder().encodeToString((byte[]) value));
        return blob;
    }

    static Object fromJson(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isIntegralNumber()) {
            return node.longValue();
        }
        if (node.isNumber()) {
            double number = node.doubleValue();
            return number == Math.rint(number) && Math.abs(number) <= MAX_EXACT_INTEGER ? (Object) (long) number : number;
        }
        if (node.isBoolean()) {
            return node.booleanValue() ? 1L : 0L;
        }
        if (node.isObject() && node.size() == 1 && node.has("$blob")) {
            return Base64.getDecoder().decode(node.get("$blob").textValue());
        }
        throw new GatewayException(200, "invalid_response", "unexpected value in a result row: " + node.getNodeType());
    }

    static Row row(JsonNode object) {
        Map<String, Object> values = new LinkedHashMap<>();
        object.fields().forEachRemaining(field -> values.put(field.getKey(), fromJson(field.getValue())));
        return new Row(values);
    }

    static List<Row> rows(JsonNode array) {
        List<Row> rows = new ArrayList<>(array.size());
        array.forEach(element -> rows.add(row(element)));
        return rows;
    }
}
