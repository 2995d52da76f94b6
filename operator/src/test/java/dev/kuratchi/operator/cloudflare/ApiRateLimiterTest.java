package dev.kuratchi.operator.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ApiRateLimiterTest {
    private final AtomicLong clock = new AtomicLong();

    @Test
    void aBurstOfATenthOfTheWindowThenTheSteadyRate() throws InterruptedException {
        // 1000 per 300 s: bursts of 100, then one every 0.3 s.
        ApiRateLimiter limiter = new ApiRateLimiter(1000, Duration.ofSeconds(300), Duration.ZERO, clock::get);
        for (int i = 0; i < 100; i++) {
            assertThat(limiter.acquire()).as("call %d", i).isZero();
        }
        assertThat(limiter.acquire()).isEqualTo(Duration.ofMillis(300));
        clock.addAndGet(Duration.ofMillis(300).toNanos());
        assertThat(limiter.acquire()).isZero();
        assertThat(limiter.acquire()).isPositive();
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
    void staysUnderCloudflaresLimitOverAWindow() throws InterruptedException {
        ApiRateLimiter limiter = new ApiRateLimiter(1000, Duration.ofSeconds(300), Duration.ZERO, clock::get);
        int granted = 0;
        for (long ms = 0; ms < 300_000; ms += 10) {
            clock.set(Duration.ofMillis(ms).toNanos());
            if (limiter.acquire().isZero()) {
                granted++;
            }
        }
        assertThat(granted).isBetween(1000, 1100).isLessThan(1200);
    }
}
