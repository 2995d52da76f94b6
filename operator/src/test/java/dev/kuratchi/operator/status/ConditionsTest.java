package dev.kuratchi.operator.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConditionsTest {
    private static final Instant T0 = Instant.parse("2026-11-25T12:00:00Z");
    private static final Instant T1 = T0.plusSeconds(30);

    @Test
    void lastTransitionTimeMovesOnlyWhenTheStatusChanges() {
        var first = new Conditions(List.of(), 1, T0).set("Ready", "False", "Waiting", "not yet").list();
        var sameStatus = new Conditions(first, 2, T1).set("Ready", "False", "Other", "still not").list();
        assertThat(sameStatus.get(0).getLastTransitionTime()).isEqualTo(T0.toString());
        assertThat(sameStatus.get(0).getObservedGeneration()).isEqualTo(2L);
        var flipped = new Conditions(sameStatus, 2, T1).set("Ready", "True", "Ready", "ok").list();
        assertThat(flipped.get(0).getLastTransitionTime()).isEqualTo(T1.toString());
        assertThat(Conditions.isTrue(flipped, "Ready")).isTrue();
    }

    @Test
    void anUnchangedSetIsEqualSoNothingIsWritten() {
        var first = new Conditions(List.of(), 1, T0).set("A", "True", "R", "m").set("B", "True", "R", "m").list();
        var again = new Conditions(first, 1, T1).set("A", "True", "R", "m").set("B", "True", "R", "m").list();
        assertThat(again).isEqualTo(first);
        assertThat(Conditions.changed(first, again)).isEmpty();
        var changed = new Conditions(first, 1, T1).set("B", "True", "R2", "m").list();
        assertThat(Conditions.changed(first, changed)).extracting(c -> c.getType()).containsExactly("B");
    }
}
