package dev.kuratchi.client.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Proxy;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketImpl;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.net.SocketFactory;
import okhttp3.OkHttpClient;

/**
 * The network cut out at the socket: OkHttp does all of its HTTP/1.1 work (request line, headers, body, status line,
 * response headers, body framing, connection reuse), and what it writes is answered at once from memory with one
 * fixed HTTP response. What the client process spends on a call through it is its client-side cost; the round trip
 * is gone. The answering is kept minimal (find the end of the request, copy the answer), as it counts on every path
 * measured through it.
 */
final class AnsweringSocket extends Socket {
    private static final byte[] CONTENT_LENGTH = "content-length:".getBytes(StandardCharsets.ISO_8859_1);

    private final byte[] response;
    private final byte[] written = new byte[64 * 1024];
    private int writtenLength;
    private byte[] toRead = new byte[0];
    private int readAt;
    private boolean closed;
    private boolean inputShutdown;
    private boolean outputShutdown;
    private int soTimeout;

    private AnsweringSocket(byte[] response) throws IOException {
        super((SocketImpl) null);
        this.response = response;
    }

    /** An OkHttp client whose every connection, to any host, is answered with {@code body} as a 200 JSON answer. */
    static OkHttpClient client(byte[] body) {
        byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: "
                + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] response = new byte[head.length + body.length];
        System.arraycopy(head, 0, response, 0, head.length);
        System.arraycopy(body, 0, response, head.length, body.length);
        // OkHttp makes its sockets unconnected, then connects them; the other forms only have to exist.
        SocketFactory sockets = new SocketFactory() {
            @Override
            public Socket createSocket() throws IOException {
                return new AnsweringSocket(response);
            }

            @Override public Socket createSocket(String host, int port) throws IOException { return createSocket(); }
            @Override public Socket createSocket(InetAddress host, int port) throws IOException {
                return createSocket(); }
            @Override public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
                    throws IOException { return createSocket(); }
            @Override public Socket createSocket(InetAddress host, int port, InetAddress localHost, int localPort)
                    throws IOException { return createSocket(); }
        };
        return new OkHttpClient.Builder()
                .proxy(Proxy.NO_PROXY)
                .dns(host -> List.of(InetAddress.getByAddress(host, new byte[] {10, 0, 0, 1})))
                .socketFactory(sockets)
                .build();
    }

    // A request is complete when its headers have ended and Content-Length more bytes have come (OkHttp sends the
    // benchmark's bodies with a length, never chunked); then its answer becomes readable. One call at a time.
    private void answerWhatIsComplete() {
        int headersEnd = indexOfBlankLine();
        if (headersEnd < 0) {
            return;
        }
        int end = headersEnd + contentLength(headersEnd);
        if (writtenLength < end) {
            return;
        }
        if (readAt != toRead.length) {
            throw new IllegalStateException("a request came before the last answer was read");
        }
        System.arraycopy(written, end, written, 0, writtenLength - end);
        writtenLength -= end;
        toRead = response;
        readAt = 0;
    }

    private int indexOfBlankLine() {
        for (int i = 3; i < writtenLength; i++) {
            if (written[i] == '\n' && written[i - 1] == '\r' && written[i - 2] == '\n' && written[i - 3] == '\r') {
                return i + 1;
            }
        }
        return -1;
    }

    private int contentLength(int headersEnd) {
        for (int line = 0; line < headersEnd; line++) {
            if (line == 0 || written[line - 1] == '\n') {
                if (startsWithIgnoringCase(line, CONTENT_LENGTH)) {
                    int length = 0;
                    for (int i = line + CONTENT_LENGTH.length; written[i] != '\r'; i++) {
                        if (written[i] != ' ') {
                            length = length * 10 + (written[i] - '0');
                        }
                    }
                    return length;
                }
            }
        }
        return 0;
    }

    private boolean startsWithIgnoringCase(int at, byte[] lowerCase) {
        for (int i = 0; i < lowerCase.length; i++) {
            if (at + i >= writtenLength || (written[at + i] | 0x20) != lowerCase[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void connect(SocketAddress endpoint) {
    }

    @Override
    public void connect(SocketAddress endpoint, int timeout) {
    }

    @Override
    public InputStream getInputStream() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] into, int offset, int length) throws IOException {
                if (closed || inputShutdown) {
                    return -1;
                }
                if (readAt == toRead.length) {
                    // Nothing was asked that is not answered: reading on would wait forever, as on an idle connection.
                    throw new SocketTimeoutException("nothing to read");
                }
                int n = Math.min(length, toRead.length - readAt);
                System.arraycopy(toRead, readAt, into, offset, n);
                readAt += n;
                return n;
            }
        };
    }

    @Override
    public OutputStream getOutputStream() {
        return new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] from, int offset, int length) {
                System.arraycopy(from, offset, written, writtenLength, length);
                writtenLength += length;
                answerWhatIsComplete();
            }
        };
    }

    @Override
    public void setSoTimeout(int timeout) {
        soTimeout = timeout;
    }

    @Override
    public int getSoTimeout() {
        return soTimeout;
    }

    @Override
    public void setTcpNoDelay(boolean on) {
    }

    @Override
    public boolean isConnected() {
        return true;
    }

    @Override
    public boolean isBound() {
        return true;
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public void shutdownInput() {
        inputShutdown = true;
    }

    @Override
    public void shutdownOutput() {
        outputShutdown = true;
    }

    @Override
    public boolean isInputShutdown() {
        return inputShutdown;
    }

    @Override
    public boolean isOutputShutdown() {
        return outputShutdown;
    }

    @Override
    public String toString() {
        return "AnsweringSocket";
    }
}
