package dev.kuratchi.client.gateway;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
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
        StringWriter text = new StringWriter();
        try (JsonGenerator json = GatewayTransport.JSON.getFactory().createGenerator(text)) {
            json.writeStartArray();
            for (Object value : values) {
                Object param = param(value);
                if (param instanceof byte[]) {
                    throw new IllegalArgumentException(
                            "a blob (byte[]) cannot be in a JSON list: JSON has no blob type");
                }
                write(json, param);
            }
            json.writeEndArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    /** Writes a value {@link #param} returned. */
    static void write(JsonGenerator json, Object value) throws IOException {
        if (value == null) {
            json.writeNull();
        } else if (value instanceof String text) {
            json.writeString(text);
        } else if (value instanceof Boolean bool) {
            json.writeBoolean(bool);
        } else if (value instanceof Long number) {
            json.writeNumber(number);
        } else if (value instanceof Double number) {
            json.writeNumber(number);
        } else {
            json.writeStartObject();
            json.writeStringField("$blob", Base64.getEncoder().encodeToString((byte[]) value));
            json.writeEndObject();
        }
    }

    /** Reads the value at the parser's current token, through its end. */
    static Object read(JsonParser json) throws IOException {
        JsonToken token = json.currentToken();
        return switch (token) {
            case VALUE_NULL -> null;
            case VALUE_STRING -> json.getText();
            // Beyond a long (never from the Worker, whose numbers are doubles) it wraps, as a tree's value did.
            case VALUE_NUMBER_INT -> json.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                    ? json.getBigIntegerValue().longValue() : json.getLongValue();
            case VALUE_NUMBER_FLOAT -> {
                double number = json.getDoubleValue();
                boolean exactInteger = number == Math.rint(number) && Math.abs(number) <= MAX_EXACT_INTEGER;
                yield exactInteger ? (Object) (long) number : number;
            }
            case VALUE_TRUE -> 1L;
            case VALUE_FALSE -> 0L;
            case START_OBJECT -> blob(json);
            default -> throw unexpected(token == JsonToken.START_ARRAY ? "ARRAY" : token.name());
        };
    }

    // A blob is {"$blob": base64} and nothing else. What throws leaves the parser where it is: it is not read on.
    private static byte[] blob(JsonParser json) throws IOException {
        if (json.nextToken() == JsonToken.FIELD_NAME && "$blob".equals(json.currentName())
                && json.nextToken() == JsonToken.VALUE_STRING) {
            String base64 = json.getText();
            if (json.nextToken() == JsonToken.END_OBJECT) {
                return Base64.getDecoder().decode(base64);
            }
        }
        throw unexpected("OBJECT");
    }

    private static GatewayException unexpected(String type) {
        return new GatewayException(200, "invalid_response", "unexpected value in a result row: " + type);
    }

    /** Reads one row: the parser is at its START_OBJECT; anything else is a row without columns. */
    static Row row(JsonParser json) throws IOException {
        Map<String, Object> values = new LinkedHashMap<>();
        if (json.currentToken() == JsonToken.START_OBJECT) {
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String column = json.currentName();
                json.nextToken();
                values.put(column, read(json));
            }
        } else {
            json.skipChildren();
        }
        return new Row(values);
    }

    /** Reads an array of rows: the parser is at its START_ARRAY. */
    static List<Row> rows(JsonParser json) throws IOException {
        return list(json, SqlValues::row);
    }

    /** Reads each element of the array at the parser with {@code element}; a null, or anything else, holds none. */
    static <T> List<T> list(JsonParser json, GatewayTransport.JsonReader<T> element) throws IOException {
        List<T> list = new ArrayList<>();
        if (json.currentToken() == JsonToken.START_ARRAY) {
            while (json.nextToken() != JsonToken.END_ARRAY) {
                list.add(element.read(json));
            }
        } else {
            json.skipChildren();
        }
        return list;
    }
}
