import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.QuorumInfo;

/**
 * Prints the node id of the KRaft quorum's leader (the active controller). The metadata a kafkajs client gets names a
 * random broker as "controller" under KRaft; the Java admin client asks the quorum itself.
 *
 * Usage: java -cp '<kafka>/libs/*' QuorumLeader.java <bootstrap>
 */
public class QuorumLeader {
  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", args[0]);
    p.put("request.timeout.ms", "15000");
    p.put("default.api.timeout.ms", "30000");
    try (Admin admin = Admin.create(p)) {
      QuorumInfo quorum = admin.describeMetadataQuorum().quorumInfo().get();
      System.out.println(quorum.leaderId());
    }
  }
}
