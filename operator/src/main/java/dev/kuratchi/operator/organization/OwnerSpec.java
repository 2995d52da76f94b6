package dev.kuratchi.operator.organization;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.Optional;

/** The organization's first user. */
@JsonIgnoreProperties(ignoreUnknown = true)
public class OwnerSpec {
    /**
     * What the operator takes as an email (the owner's, and the organization's contact): deliberately simple, as
     * admission and every reader (Java, JavaScript, RE2) must agree on it. A local part without spaces or '@', and a
     * domain of at least two DNS labels; an internationalized domain in its xn-- form. Quoted local parts and IP
     * literals, legal but never seen in practice, are refused: the email is a login and a routing key, where an odd
     * form is far likelier a typo than intent.
     */
    public static final String EMAIL_RULE = "local@domain.tld: no spaces, exactly one '@', a domain of letters, digits "
            + "and '-' labels separated by dots (an internationalized domain in its xn-- form)";
    public static final String EMAIL_PATTERN = "^[^@\\s]{1,64}@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
            + "(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$";
    private static final java.util.regex.Pattern EMAIL = java.util.regex.Pattern.compile(EMAIL_PATTERN);

    @JsonPropertyDescription("The owner's email: the users row's email and the admin database's routing key. "
            + EMAIL_RULE + ".")
    @Required
    @Size(min = 3, max = 254)
    @Pattern(EMAIL_PATTERN)
    private String email;

    @JsonPropertyDescription("The owner's display name. Defaults to the organization's name.")
    @Size(max = 256)
    private String name;

    /** What is wrong with {@code email} as {@code field}, and what to do; empty when it is an email by the rule. */
    public static Optional<String> validateEmail(String field, String email) {
        if (email == null || email.length() > 254 || !EMAIL.matcher(email).matches()) {
            return Optional.of(field + " '" + email + "' is not an email: use " + EMAIL_RULE);
        }
        return Optional.empty();
    }

    public String getEmail() {
        return email;
    }

    public void setEmail(String email) {
        this.email = email;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }
}
