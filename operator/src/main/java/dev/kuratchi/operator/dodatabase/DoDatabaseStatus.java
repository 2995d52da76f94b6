package dev.kuratchi.operator.dodatabase;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.kuratchi.operator.status.ConditionSchema;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** What the operator observed and did. Written only by the operator. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DoDatabaseStatus {
    @JsonPropertyDescription("The metadata.generation this status describes.")
    private Long observedGeneration;

    @JsonPropertyDescription("Ready sums up; WorkerDeployed, DatabaseProvisioned, SchemaApplied and TokenIssued tell "
            + "each stage, with a reason and a message that says what to do.")
    @SchemaFrom(type = ConditionSchema[].class)
    private List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("The database this resource manages (spec.databaseName or metadata.name).")
    private String databaseName;

    @JsonPropertyDescription("The gateway URL apps send queries to.")
    private String endpoint;

    @JsonPropertyDescription("The Secret holding the token.")
    private String secretName;

    @JsonPropertyDescription("Migrations applied to the database, in order.")
    private List<String> appliedMigrations;

    @JsonPropertyDescription("The latest applied migration.")
    private String schemaVersion;

    @JsonPropertyDescription("Hash of the database, endpoint and migrations last provisioned: while it is unchanged, "
            + "reconciles do not call the gateway again.")
    private String schemaHash;

    @JsonPropertyDescription("The current token (never its value).")
    private TokenStatus token;

    @JsonPropertyDescription("Replaced tokens still valid, revoked once their grace period ends so pods have time "
            + "to read the new Secret.")
    private List<PendingRevocation> pendingRevocations;

    @JsonPropertyDescription("The last value of the kuratchi.dev/rotate annotation acted on.")
    private String lastRotation;

    @JsonPropertyDescription("The gateway's id for the database's storage, recorded when this resource claimed it. "
            + "A different id later means the storage was lost (the gateway Worker was deleted or replaced).")
    private String storageId;

    @JsonPropertyDescription("The database's token epoch at the gateway: every token id starts with it, and a new "
            + "epoch (deletion, new storage) ends every token issued before. Not a secret.")
    private String epoch;

    @JsonPropertyDescription("When the database's storage was found lost. Ready stays False (DataLost) until the "
            + "annotation kuratchi.dev/data-loss-acknowledged is set to this value.")
    private String storageLostAt;

    /** A copy to build the next status from (the lists are copied too, so the original stays as observed). */
    public static DoDatabaseStatus copyOf(DoDatabaseStatus status) {
        DoDatabaseStatus copy = new DoDatabaseStatus();
        copy.setObservedGeneration(status.getObservedGeneration());
        copy.setConditions(status.getConditions() == null ? new ArrayList<>() : new ArrayList<>(status.getConditions()));
        copy.setDatabaseName(status.getDatabaseName());
        copy.setEndpoint(status.getEndpoint());
        copy.setSecretName(status.getSecretName());
        copy.setAppliedMigrations(status.getAppliedMigrations());
        copy.setSchemaVersion(status.getSchemaVersion());
        copy.setSchemaHash(status.getSchemaHash());
        copy.setToken(status.getToken());
        copy.setPendingRevocations(status.getPendingRevocations());
        copy.setLastRotation(status.getLastRotation());
        copy.setStorageId(status.getStorageId());
        copy.setEpoch(status.getEpoch());
        copy.setStorageLostAt(status.getStorageLostAt());
        return copy;
    }

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }

    public String getDatabaseName() {
        return databaseName;
    }

    public void setDatabaseName(String databaseName) {
        this.databaseName = databaseName;
    }

    public String getEndpoint() {
        return endpoint;
    }

    public void setEndpoint(String endpoint) {
        this.endpoint = endpoint;
    }

    public String getSecretName() {
        return secretName;
    }

    public void setSecretName(String secretName) {
        this.secretName = secretName;
    }

    public List<String> getAppliedMigrations() {
        return appliedMigrations;
    }

    public void setAppliedMigrations(List<String> appliedMigrations) {
        this.appliedMigrations = appliedMigrations;
    }

    public String getSchemaVersion() {
        return schemaVersion;
    }

    public void setSchemaVersion(String schemaVersion) {
        this.schemaVersion = schemaVersion;
    }

    public String getSchemaHash() {
        return schemaHash;
    }

    public void setSchemaHash(String schemaHash) {
        this.schemaHash = schemaHash;
    }

    public TokenStatus getToken() {
        return token;
    }

    public void setToken(TokenStatus token) {
        this.token = token;
    }

    public List<PendingRevocation> getPendingRevocations() {
        return pendingRevocations;
    }

    public void setPendingRevocations(List<PendingRevocation> pendingRevocations) {
        this.pendingRevocations = pendingRevocations;
    }

    public String getLastRotation() {
        return lastRotation;
    }

    public void setLastRotation(String lastRotation) {
        this.lastRotation = lastRotation;
    }

    public String getStorageId() {
        return storageId;
    }

    public void setStorageId(String storageId) {
        this.storageId = storageId;
    }

    public String getEpoch() {
        return epoch;
    }

    public void setEpoch(String epoch) {
        this.epoch = epoch;
    }

    public String getStorageLostAt() {
        return storageLostAt;
    }

    public void setStorageLostAt(String storageLostAt) {
        this.storageLostAt = storageLostAt;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DoDatabaseStatus that && Objects.equals(observedGeneration, that.observedGeneration)
                && Objects.equals(conditions, that.conditions) && Objects.equals(databaseName, that.databaseName)
                && Objects.equals(endpoint, that.endpoint) && Objects.equals(secretName, that.secretName)
                && Objects.equals(appliedMigrations, that.appliedMigrations)
                && Objects.equals(schemaVersion, that.schemaVersion) && Objects.equals(schemaHash, that.schemaHash)
                && Objects.equals(token, that.token)
                && Objects.equals(pendingRevocations, that.pendingRevocations)
                && Objects.equals(lastRotation, that.lastRotation) && Objects.equals(storageId, that.storageId)
                && Objects.equals(epoch, that.epoch) && Objects.equals(storageLostAt, that.storageLostAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(observedGeneration, databaseName, token);
    }
}
