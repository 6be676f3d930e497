import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.net.InetSocketAddress;

/**
 * Launches mongo-java-server (MongoDB wire protocol) with its oplog enabled, so change streams
 * work. Usage: java -cp <classpath> MongoWireServer.java <host> <port> [h2-file]
 * With an h2 file the data survives restarts; without, it lives in memory.
 * Prints "listening <host>:<port>" once ready; stops on SIGTERM.
 */
public class MongoWireServer {
  public static void main(String[] args) throws Exception {
    String host = args.length > 0 ? args[0] : "127.0.0.1";
    int port = args.length > 1 ? Integer.parseInt(args[1]) : 27017;
    MongoBackend backend = args.length > 2 ? new H2Backend(args[2]) : new MemoryBackend();
    MongoServer server = new MongoServer(backend);
    server.enableOplog();
    server.bind(host, port);
    InetSocketAddress address = server.getLocalAddress();
    System.out.println("listening " + address.getHostString() + ":" + address.getPort());
    System.out.flush();
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow));
    Thread.currentThread().join();
  }
}
