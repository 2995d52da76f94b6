package dev.kuratchi.operator.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ApiRateLimiterTest {
    private final AtomicLong clock = new AtomicLong();

    @Test
    void theWholeBudgetAtOnceThenEachCallWaitsForTheOneItReplacesToLeaveTheWindow() throws InterruptedException {
        ApiRateLimiter limiter = new ApiRateLimiter(1000, Duration.ofSeconds(300), Duration.ZERO, clock::get);
        for (int i = 0; i < 1000; i++) {
            assertThat(limiter.acquire()).as("call %d", i).isZero();
            clock.addAndGet(Duration.ofMillis(1).toNanos());
        }
        // The first call went at 0 ms: the next may go once it is 300 s old.
        assertThat(limiter.acquire()).isEqualTo(Duration.ofSeconds(300).minusMillis(1000));
        clock.set(Duration.ofSeconds(300).toNanos());
        assertThat(limiter.acquire()).isZero();
        assertThat(limiter.acquire()).isEqualTo(Duration.ofMillis(1));
    }

    @Test
    void aCallerThatMayWaitIsHeldAndCountedWhenItGoes() throws InterruptedException {
        ApiRateLimiter limiter = new ApiRateLimiter(2, Duration.ofNanos(1000), Duration.ofSeconds(1), clock::get);
        assertThat(limiter.acquire()).isZero();
        assertThat(limiter.acquire()).isZero();
        // Waits 1000 ns (a sleep of less than a millisecond), then goes: the window now holds calls at 0 and 1000.
        assertThat(limiter.acquire()).isZero();
        ApiRateLimiter strict = new ApiRateLimiter(2, Duration.ofNanos(1000), Duration.ZERO, clock::get);
        strict.acquire();
        strict.acquire();
        assertThat(strict.acquire()).isEqualTo(Duration.ofNanos(1000));
        assertThat(strict.acquire()).as("a refused call takes nothing").isEqualTo(Duration.ofNanos(1000));
    }

    @Test
    void aPauseHoldsEveryCallerUntilItEnds() throws InterruptedException {
        ApiRateLimiter limiter = new ApiRateLimiter(1000, Duration.ofSeconds(300), Duration.ofSeconds(1), clock::get);
        limiter.pause(Duration.ofSeconds(30));
        assertThat(limiter.acquire()).isEqualTo(Duration.ofSeconds(30));
        clock.addAndGet(Duration.ofSeconds(30).toNanos());
        assertThat(limiter.acquire()).isZero();
    }

    @Test
    void noWindowEverHoldsMoreThanThePermitsWhateverTheCallers() throws InterruptedException {
        ApiRateLimiter limiter = new ApiRateLimiter(1000, Duration.ofSeconds(300), Duration.ZERO, clock::get);
        Deque<Long> window = new ArrayDeque<>();
        int granted = 0;
        int most = 0;
        for (long ms = 0; ms < 900_000; ms += 7) {
            clock.set(Duration.ofMillis(ms).toNanos());
            for (int caller = 0; caller < 3; caller++) {
                if (limiter.acquire().isZero()) {
                    granted++;
                    window.addLast(ms);
                }
            }
            while (!window.isEmpty() && window.peekFirst() <= ms - 300_000) {
                window.removeFirst();
            }
            most = Math.max(most, window.size());
        }
        assertThat(most).isEqualTo(1000);
        assertThat(granted).isBetween(3000, 3000 + 1000);
    }
}
