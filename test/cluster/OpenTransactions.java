import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * Diagnosis for the cluster fault test when something is missing: prints, for every partition of the given topics
 * whose last stable offset is below its high watermark (a transaction still open there: read-committed readers stop
 * at it), `stuck <topic> <partition> <lso> <hwm>`, and every transaction not complete: `txn <id> <state> <producer>`.
 *
 * Usage: java -cp '<kafka>/libs/*' OpenTransactions.java <bootstrap> <topic>...
 */
public class OpenTransactions {
  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", args[0]);
    p.put("default.api.timeout.ms", "60000");
    try (Admin admin = Admin.create(p)) {
      List<String> topics = new ArrayList<>();
      for (int i = 1; i < args.length; i++) topics.add(args[i]);
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      admin.describeTopics(topics).allTopicNames().get().forEach((name, d) ->
          d.partitions().forEach(info -> latest.put(new TopicPartition(name, info.partition()), OffsetSpec.latest())));
      var committed = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get();
      var uncommitted = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all().get();
      for (TopicPartition tp : latest.keySet()) {
        long lso = committed.get(tp).offset();
        long hwm = uncommitted.get(tp).offset();
        if (lso < hwm) System.out.println("stuck " + tp.topic() + " " + tp.partition() + " " + lso + " " + hwm);
      }
      for (TransactionListing t : admin.listTransactions().all().get()) {
        String state = t.state().toString();
        if (!state.equals("CompleteCommit") && !state.equals("CompleteAbort") && !state.equals("Empty"))
          System.out.println("txn " + t.transactionalId() + " " + state + " " + t.producerId());
      }
    }
  }
}
