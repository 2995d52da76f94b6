package dev.kuratchi.operator.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kuratchi.operator.dodatabase.DoDatabase;
import com.fasterxml.jackson.core.JsonFactory;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LeanSerializationTest {
    private static final KubernetesSerialization LEAN = LeanSerialization.create();
    private static final String DATABASE = """
            {"apiVersion": "kuratchi.dev/v1alpha1", "kind": "DoDatabase",
             "metadata": {"name": "orders", "namespace": "shop", "resourceVersion": "42", "uid": "u-1",
               "labels": {"team": "a"}, "finalizers": ["dodatabases.kuratchi.dev/finalizer"],
               "managedFields": [{"manager": "kubectl", "operation": "Apply", "apiVersion": "kuratchi.dev/v1alpha1",
                 "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:databaseName": {}}}}],
               "futureField": "kept"},
             "spec": {"databaseName": "orders"},
             "status": {"databaseName": "orders", "observedGeneration": 3}}
            """;

    @Test
    void aReadObjectHasNoManagedFieldsAndEverythingElse() {
        DoDatabase read = LEAN.unmarshal(DATABASE, DoDatabase.class);
        assertThat(read.getMetadata().getManagedFields()).isNullOrEmpty();
        assertThat(read.getMetadata().getResourceVersion()).isEqualTo("42");
        assertThat(read.getMetadata().getLabels()).containsEntry("team", "a");
        assertThat(read.getMetadata().getFinalizers()).containsExactly("dodatabases.kuratchi.dev/finalizer");
        assertThat(read.getMetadata().getAdditionalProperties()).containsEntry("futureField", "kept");
        assertThat(read.getSpec().getDatabaseName()).isEqualTo("orders");
        assertThat(read.getStatus().getObservedGeneration()).isEqualTo(3L);
        // The default serialization reads them: the test input has what the lean one leaves out.
        assertThat(new KubernetesSerialization().unmarshal(DATABASE, DoDatabase.class).getMetadata()
                .getManagedFields()).hasSize(1);
    }

    @Test
    void whatIsSentAndWhatJosdkCopiesHasNoManagedFields() {
        Secret secret = new Secret();
        secret.setMetadata(new ObjectMetaBuilder().withName("orders-db")
                .withManagedFields(List.of(new ManagedFieldsEntryBuilder().withManager("kuratchi").build())).build());
        secret.setStringData(Map.of("token", "t"));
        String json = LEAN.asJson(secret);
        assertThat(json).doesNotContain("managedFields").contains("\"name\":\"orders-db\"", "\"token\":\"t\"");
        assertThat(LEAN.clone(secret).getMetadata().getManagedFields()).isNullOrEmpty();
        assertThat(LEAN.clone(secret).getMetadata().getName()).isEqualTo("orders-db");
    }

    @Test
    void fieldNamesAreNotKeptInASymbolTableThatGrowsWithEverySecret() {
        assertThat(LeanSerialization.mapper().getFactory().isEnabled(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES))
                .isFalse();
        String secret = """
                {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "orders-db", "managedFields": [{"fieldsV1":
                  {"f:metadata": {"f:ownerReferences": {"k:{\\"uid\\":\\"u-7\\"}": {}}}}}]}, "data": {"token": "dA=="}}
                """;
        assertThat(LEAN.unmarshal(secret, Secret.class).getData()).containsEntry("token", "dA==");
    }
}
