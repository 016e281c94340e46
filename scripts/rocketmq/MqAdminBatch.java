// Runs several mqadmin commands in ONE JVM (each mqadmin start costs a JVM boot).
// stdin: one mqadmin command per line, arguments separated by blanks (no quoting).
// stdout: per command "@@@BEGIN <i> <command>", the command's own output, "@@@END <i> <ms>ms".
// Compiled and cached by scripts/rocketmq/common.sh (rmq_batch_cp) against $ROCKETMQ_HOME/lib/*.
//
// Second mode: MqAdminBatch --wait-route <namesrvAddr> <topic> <timeoutMs>
// polls the NameServer every 200 ms until <topic> has a route (i.e. the broker has registered; after a
// broker start that takes ~10 s); prints "ROUTE_OK <ms>" and exits 0, or "ROUTE_TIMEOUT <ms>" and exits 1.
//
// Speed-up: every mqadmin command ends with DefaultMQAdminExt.shutdown(), which joins the client's
// "NettyEventExecutor" thread; that thread sits in eventQueue.poll(3000 ms) and is not interrupted, so
// each command randomly costs up to 3 s more (measured: ~60 ms or ~3050 ms). While main is inside
// ServiceThread.shutdown we interrupt those threads; their loop catches the exception and sees stopped=true.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

public class MqAdminBatch {
    public static void main(String[] argv) throws Exception {
        if (argv.length == 4 && argv[0].equals("--wait-route")) {
            Runtime.getRuntime().halt(waitRoute(argv[1], argv[2], Long.parseLong(argv[3])));
        }
        final Thread mainThread = Thread.currentThread();
        if (!"0".equals(System.getenv("RMQ_BATCH_FAST_SHUTDOWN"))) {
            Thread watchdog = new Thread(() -> {
                while (true) {
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                    boolean inShutdown = false;
                    for (StackTraceElement f : mainThread.getStackTrace()) {
                        if (f.getClassName().endsWith(".ServiceThread") && f.getMethodName().equals("shutdown")) {
                            inShutdown = true;
                            break;
                        }
                    }
                    if (!inShutdown) {
                        continue;
                    }
                    for (Thread t : Thread.getAllStackTraces().keySet()) {
                        if (t.getName().equals("NettyEventExecutor")) {
                            t.interrupt();
                        }
                    }
                }
            }, "mqadmin-batch-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
        }

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        int i = 0;
        while ((line = in.readLine()) != null) {
            line = line.trim();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            System.out.println("@@@BEGIN " + i + " " + line);
            System.out.flush();
            long t0 = System.nanoTime();
            try {
                org.apache.rocketmq.tools.command.MQAdminStartup.main0(line.split("\\s+"), null);
            } catch (Throwable t) {
                t.printStackTrace(System.out);
            }
            System.err.flush();
            System.out.println(); // mqadmin output may lack a final newline
            System.out.println("@@@END " + i + " " + (System.nanoTime() - t0) / 1_000_000 + "ms");
            System.out.flush();
            i++;
        }
        System.exit(0); // mqadmin leaves non-daemon threads behind
    }

    // Returns the exit code; the admin client is not shut down (its shutdown can take 3 s), the JVM exits right after.
    static int waitRoute(String namesrv, String topic, long timeoutMs) throws Exception {
        long t0 = System.currentTimeMillis();
        org.apache.rocketmq.tools.admin.DefaultMQAdminExt admin = new org.apache.rocketmq.tools.admin.DefaultMQAdminExt(3000);
        admin.setNamesrvAddr(namesrv);
        admin.setInstanceName("wait-route-" + System.nanoTime());
        admin.start();
        String last = "";
        while (System.currentTimeMillis() - t0 < timeoutMs) {
            try {
                org.apache.rocketmq.remoting.protocol.route.TopicRouteData r = admin.examineTopicRouteInfo(topic);
                if (r != null && r.getQueueDatas() != null && !r.getQueueDatas().isEmpty()
                    && r.getBrokerDatas() != null && !r.getBrokerDatas().isEmpty()) {
                    System.out.println("ROUTE_OK " + (System.currentTimeMillis() - t0));
                    System.out.flush();
                    return 0;
                }
            } catch (Exception e) {
                last = e.getMessage() == null ? e.toString() : e.getMessage().split("\n")[0];
            }
            Thread.sleep(200);
        }
        System.out.println("ROUTE_TIMEOUT " + (System.currentTimeMillis() - t0) + " " + last);
        System.out.flush();
        return 1;
    }
}
