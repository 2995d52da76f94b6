package dev.kuratchi.operator.dodatabase;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** How long tokens live and when they are renewed. */
@JsonIgnoreProperties(ignoreUnknown = true)
@ValidationRule(value = "!has(self.renewBefore) || duration(self.renewBefore) + duration('5m') <= "
        + "(has(self.ttl) ? duration(self.ttl) : duration('720h'))",
        message = "renewBefore must leave at least 5m between renewals: at most ttl (default 720h) minus 5m")
public class TokenSpec {
    @JsonPropertyDescription("Token lifetime as a duration such as 720h, 90m or 2h30m, from 10m to 8760h. Default "
            + "720h (30 days, as kuratchi-sdk).")
    @Pattern(Durations.PATTERN)
    @Size(max = 32)
    @ValidationRule(value = "duration(self) >= duration('10m') && duration(self) <= duration('8760h')",
            message = "ttl must be from 10m to 8760h")
    private String ttl;

    @JsonPropertyDescription("How long before expiry a new token is issued, as a duration. Default: a third of ttl. "
            + "At most ttl minus 5m, so renewals are at least 5m apart.")
    @Pattern(Durations.PATTERN)
    @Size(max = 32)
    private String renewBefore;

    public String getTtl() {
        return ttl;
    }

    public void setTtl(String ttl) {
        this.ttl = ttl;
    }

    public String getRenewBefore() {
        return renewBefore;
    }

    public void setRenewBefore(String renewBefore) {
        this.renewBefore = renewBefore;
    }
}
