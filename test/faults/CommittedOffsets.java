import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The read-committed oracle of the fault test: prints `<topic> <partition> <offset>` for every record the Apache
 * Kafka Java client delivers read committed, from the beginning to the last stable offset of each partition.
 *
 * Why Java: kafkajs 2.2.4 delivers records of aborted transactions when the broker lists them out of first-offset
 * order (see faults.int.test.ts); the Java client is the reference implementation of read committed.
 *
 * Usage: java -cp '<kafka>/libs/*' CommittedOffsets.java <bootstrap> <topic>...
 */
public class CommittedOffsets {
  public static void main(String[] args) {
    Properties p = new Properties();
    p.put("bootstrap.servers", args[0]);
    p.put("isolation.level", "read_committed");
    p.put("enable.auto.commit", "false");
    p.put("max.partition.fetch.bytes", Integer.toString(16 * 1024 * 1024));
    p.put("key.deserializer", ByteArrayDeserializer.class.getName());
    p.put("value.deserializer", ByteArrayDeserializer.class.getName());
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (int i = 1; i < args.length; i++) {
        String topic = args[i];
        consumer.partitionsFor(topic).forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      // Read committed, the end offsets are the last stable offsets.
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      StringBuilder out = new StringBuilder();
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          out.append(r.topic()).append(' ').append(r.partition()).append(' ').append(r.offset()).append('\n');
        }
      }
      System.out.print(out);
    }
  }
}
