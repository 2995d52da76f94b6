package dev.kuratchi.operator.dodatabase;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** How long tokens live and when they are renewed. */
@JsonIgnoreProperties(ignoreUnknown = true)
public class TokenSpec {
    @JsonPropertyDescription("Token lifetime as a duration such as 720h, 90m or 30d. Default 720h (30 days, as "
            + "kuratchi-sdk).")
    private String ttl;

    @JsonPropertyDescription("How long before expiry a new token is issued, as a duration. Default: a third of ttl. "
            + "Must be shorter than ttl.")
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
