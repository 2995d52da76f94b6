package dev.kuratchi.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kuratchi.client.gateway.RetryPolicy.Failure;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
    private final RetryPolicy policy = new RetryPolicy(4, Duration.ofMillis(100), Duration.ofSeconds(1));

    @Test
    void aWriteIsRepeatedOnlyWhenItCannotHaveRun() {
        assertThat(policy.nextDelay(1, Failure.CONNECT, false, null)).isPresent();
        assertThat(policy.nextDelay(1, Failure.RATE_LIMITED, false, null)).isPresent();
        assertThat(policy.nextDelay(1, Failure.IO, false, null)).isEmpty();
        assertThat(policy.nextDelay(1, Failure.SERVER_ERROR, false, null)).isEmpty();
    }

    @Test
    void aReadIsRepeatedOnEveryTransientFailure() {
        for (Failure failure : Failure.values()) {
            assertThat(policy.nextDelay(1, failure, true, null)).as(failure.name()).isPresent();
        }
    }

    @Test
    void backoffDoublesUpToTheCapAndStopsAfterMaxAttempts() {
        assertThat(policy.nextDelay(1, Failure.IO, true, null)).contains(Duration.ofMillis(100));
        assertThat(policy.nextDelay(2, Failure.IO, true, null)).contains(Duration.ofMillis(200));
        assertThat(policy.nextDelay(3, Failure.IO, true, null)).contains(Duration.ofMillis(400));
        assertThat(policy.nextDelay(4, Failure.IO, true, null)).isEmpty();
        RetryPolicy slow = new RetryPolicy(10, Duration.ofMillis(300), Duration.ofSeconds(1));
        assertThat(slow.nextDelay(5, Failure.IO, true, null)).contains(Duration.ofSeconds(1));
    }

    @Test
    void retryAfterIsHonouredWhenLongerThanTheBackoffButStillCapped() {
        assertThat(policy.nextDelay(1, Failure.RATE_LIMITED, false, Duration.ofMillis(700)))
                .contains(Duration.ofMillis(700));
        assertThat(policy.nextDelay(1, Failure.RATE_LIMITED, false, Duration.ofSeconds(30)))
                .contains(Duration.ofSeconds(1));
        assertThat(policy.nextDelay(1, Failure.RATE_LIMITED, false, Duration.ZERO)).contains(Duration.ofMillis(100));
    }

    @Test
    void noneNeverRepeats() {
        assertThat(RetryPolicy.NONE.nextDelay(1, Failure.CONNECT, true, null)).isEqualTo(Optional.empty());
    }
}
