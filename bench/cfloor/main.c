// mahavishnu-cfloor: the bench's floor, in C on libzmq alone. Three roles:
//
//   load     a DEALER producer speaking MHV1: timed round trips one at a time, then windowed
//            throughput runs; it drives every case the bench measures, ours and the floor's.
//   broker   a minimal credit-based broker: ROUTER frontend, ROUTER backend, an LRU ring of
//            worker credits, one zmq_poll loop, frames moved and never copied.
//   worker   an echo worker for that broker: it grants CREDITS, answers each TASK with a RESULT.
//
// The roles talk MHV1 on the frontend as our broker does (TASK in, RESULT out), so one load
// generator drives both brokers at the same window and credit depth. Usage: see usage().

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define MAX_FRAMES 16

static void fail(const char *what) {
    fprintf(stderr, "mahavishnu-cfloor: %s: %s\n", what, zmq_strerror(zmq_errno()));
    exit(1);
}

static void usage(void) {
    fprintf(stderr,
            "usage: mahavishnu-cfloor load ENDPOINT REPLY_COMMAND WARM_UP SAMPLES SAMPLES_FILE TASKS RUNS WINDOW --head FRAME... (--tail FRAME...)...\n"
            "       mahavishnu-cfloor broker FRONTEND BACKEND\n"
            "       mahavishnu-cfloor worker BACKEND CREDITS\n");
    exit(2);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *socket_or_fail(void *context, int type) {
    void *socket = zmq_socket(context, type);
    if (!socket) fail("zmq_socket");
    int zero = 0;
    zmq_setsockopt(socket, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(socket, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_setsockopt(socket, ZMQ_RCVHWM, &zero, sizeof zero);
    return socket;
}

/// Receives the rest of a message into `frames` (after `count` already there); returns the count.
static int receive_rest(void *socket, zmq_msg_t *frames, int count) {
    while (zmq_msg_more(&frames[count - 1])) {
        if (count == MAX_FRAMES) { fprintf(stderr, "mahavishnu-cfloor: more than %d frames\n", MAX_FRAMES); exit(1); }
        zmq_msg_init(&frames[count]);
        if (zmq_msg_recv(&frames[count], socket, 0) < 0) fail("zmq_msg_recv");
        count++;
    }
    return count;
}

/// Sends `frames[from..<count]` on `socket`, moving each (no copy).
static void send_frames(void *socket, zmq_msg_t *frames, int from, int count) {
    for (int i = from; i < count; i++) {
        if (zmq_msg_send(&frames[i], socket, i < count - 1 ? ZMQ_SNDMORE : 0) < 0) fail("zmq_msg_send");
    }
}

// MARK: load

/// One request's frames around its id: `head`, the id, then one of the `tails` in turn.
typedef struct {
    char **head;
    int head_count;
    char **tails[MAX_FRAMES];
    int tail_counts[MAX_FRAMES];
    int tail_variants;
} Request;

typedef struct {
    void *socket;
    const Request *request;
    const char *reply_command;
    char prefix[16];
    uint64_t next_id;
} Producer;

static void send_frame(void *socket, const void *bytes, size_t size, int more) {
    if (zmq_send(socket, bytes, size, more ? ZMQ_SNDMORE : 0) < 0) fail("zmq_send");
}

static uint64_t send_request(Producer *producer) {
    const Request *request = producer->request;
    uint64_t id = producer->next_id++;
    for (int i = 0; i < request->head_count; i++) send_frame(producer->socket, request->head[i], strlen(request->head[i]), 1);
    char frame[48];
    int length = snprintf(frame, sizeof frame, "%s%" PRIu64, producer->prefix, id);
    int variant = (int)(id % (uint64_t)request->tail_variants);
    int count = request->tail_counts[variant];
    send_frame(producer->socket, frame, (size_t)length, count > 0);
    for (int i = 0; i < count; i++) send_frame(producer->socket, request->tails[variant][i], strlen(request->tails[variant][i]), i < count - 1);
    return id;
}

/// Receives one reply, checks its version, command and id, and returns the number in its id.
static uint64_t receive_reply(Producer *producer) {
    zmq_msg_t frames[MAX_FRAMES];
    zmq_msg_init(&frames[0]);
    if (zmq_msg_recv(&frames[0], producer->socket, 0) < 0) {
        if (zmq_errno() == EAGAIN) { fprintf(stderr, "mahavishnu-cfloor: no reply within the reply timeout\n"); exit(1); }
        fail("zmq_msg_recv");
    }
    int count = receive_rest(producer->socket, frames, 1);
    size_t command_length = strlen(producer->reply_command), prefix_length = strlen(producer->prefix);
    if (count < 3 || zmq_msg_size(&frames[0]) != 4 || memcmp(zmq_msg_data(&frames[0]), "MHV1", 4) != 0) {
        fprintf(stderr, "mahavishnu-cfloor: a malformed reply (%d frames)\n", count);
        exit(1);
    }
    if (zmq_msg_size(&frames[1]) != command_length || memcmp(zmq_msg_data(&frames[1]), producer->reply_command, command_length) != 0) {
        fprintf(stderr, "mahavishnu-cfloor: replied '%.*s', expected '%s'\n", (int)zmq_msg_size(&frames[1]), (char *)zmq_msg_data(&frames[1]), producer->reply_command);
        exit(1);
    }
    const char *id = zmq_msg_data(&frames[2]);
    size_t id_length = zmq_msg_size(&frames[2]);
    if (id_length <= prefix_length || memcmp(id, producer->prefix, prefix_length) != 0) {
        fprintf(stderr, "mahavishnu-cfloor: a reply with an id this producer never sent\n");
        exit(1);
    }
    uint64_t number = 0;
    for (size_t i = prefix_length; i < id_length; i++) {
        if (id[i] < '0' || id[i] > '9') { fprintf(stderr, "mahavishnu-cfloor: a malformed id\n"); exit(1); }
        number = number * 10 + (uint64_t)(id[i] - '0');
    }
    for (int i = 0; i < count; i++) zmq_msg_close(&frames[i]);
    return number;
}

/// `tasks` requests with at most `window` in flight; every reply answers one sent and not yet answered.
static double throughput(Producer *producer, uint64_t tasks, uint64_t window) {
    uint64_t first = producer->next_id, sent = 0, received = 0;
    unsigned char *answered = calloc(tasks, 1);
    uint64_t started = now_ns();
    for (; sent < window && sent < tasks; sent++) send_request(producer);
    while (received < tasks) {
        uint64_t index = receive_reply(producer) - first;
        if (index >= tasks || answered[index]) { fprintf(stderr, "mahavishnu-cfloor: request %" PRIu64 " answered twice or out of range\n", index + first); exit(1); }
        answered[index] = 1;
        received++;
        if (sent < tasks) { send_request(producer); sent++; }
    }
    uint64_t elapsed = now_ns() - started;
    free(answered);
    return (double)tasks / ((double)elapsed / 1e9);
}

static int load(int argc, char **argv) {
    if (argc < 11 || strcmp(argv[10], "--head") != 0) usage();
    Request request = {0};
    request.head = &argv[11];
    int index = 11;
    while (index < argc && strcmp(argv[index], "--tail") != 0) index++;
    request.head_count = index - 11;
    while (index < argc) {
        if (request.tail_variants == MAX_FRAMES) usage();
        int start = ++index;
        while (index < argc && strcmp(argv[index], "--tail") != 0) index++;
        request.tails[request.tail_variants] = &argv[start];
        request.tail_counts[request.tail_variants++] = index - start;
    }
    if (request.tail_variants == 0) request.tail_variants = 1;
    uint64_t warm_up = strtoull(argv[4], NULL, 10), samples = strtoull(argv[5], NULL, 10);
    uint64_t tasks = strtoull(argv[7], NULL, 10), runs = strtoull(argv[8], NULL, 10), window = strtoull(argv[9], NULL, 10);

    void *context = zmq_ctx_new();
    Producer producer = {.socket = socket_or_fail(context, ZMQ_DEALER), .request = &request, .reply_command = argv[3]};
    snprintf(producer.prefix, sizeof producer.prefix, "c%08x-", (unsigned)(now_ns() ^ (uint64_t)getpid()));
    int timeout = 30000;
    zmq_setsockopt(producer.socket, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    if (zmq_connect(producer.socket, argv[2]) != 0) fail("zmq_connect");

    FILE *out = fopen(argv[6], "wb");
    if (!out) { perror(argv[6]); return 1; }
    for (uint64_t i = 0; i < warm_up + samples; i++) {
        uint64_t started = now_ns();
        uint64_t id = send_request(&producer);
        if (receive_reply(&producer) != id) { fprintf(stderr, "mahavishnu-cfloor: a reply to another request than the one in flight\n"); return 1; }
        uint64_t elapsed = now_ns() - started;
        if (i >= warm_up) fwrite(&elapsed, sizeof elapsed, 1, out);
    }
    fclose(out);
    printf("latency %" PRIu64 "\n", samples);
    fflush(stdout);
    for (uint64_t run = 0; run < runs; run++) {
        printf("throughput %.1f\n", throughput(&producer, tasks, window));
        fflush(stdout);
    }
    zmq_close(producer.socket);
    zmq_ctx_term(context);
    return 0;
}

// MARK: broker

typedef struct {
    unsigned char identity[256];
    size_t length;
} Worker;

static int broker(int argc, char **argv) {
    if (argc != 4) usage();
    void *context = zmq_ctx_new();
    void *frontend = socket_or_fail(context, ZMQ_ROUTER), *backend = socket_or_fail(context, ZMQ_ROUTER);
    if (zmq_bind(frontend, argv[2]) != 0 || zmq_bind(backend, argv[3]) != 0) fail("zmq_bind");
    char bound[2][256];
    size_t size = sizeof bound[0];
    zmq_getsockopt(frontend, ZMQ_LAST_ENDPOINT, bound[0], &size);
    size = sizeof bound[1];
    zmq_getsockopt(backend, ZMQ_LAST_ENDPOINT, bound[1], &size);
    printf("cbroker ready frontend=%s backend=%s\n", bound[0], bound[1]);
    fflush(stdout);

    enum { MAX_WORKERS = 4096, RING = 1 << 20 };
    static Worker workers[MAX_WORKERS];
    static uint32_t ring[RING];
    int worker_count = 0;
    uint64_t head = 0, tail = 0;
    zmq_msg_t frames[MAX_FRAMES];
    for (;;) {
        zmq_pollitem_t items[] = {{backend, 0, ZMQ_POLLIN, 0}, {frontend, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, head == tail ? 1 : 2, -1) < 0) {
            if (zmq_errno() == EINTR) continue;
            fail("zmq_poll");
        }
        // Results first, each returning its worker's credit to the ring: drain every one ready.
        while (1) {
            zmq_msg_init(&frames[0]);
            if (zmq_msg_recv(&frames[0], backend, ZMQ_DONTWAIT) < 0) { zmq_msg_close(&frames[0]); break; }
            int count = receive_rest(backend, frames, 1);
            size_t length = zmq_msg_size(&frames[0]);
            int worker = -1;
            for (int i = 0; i < worker_count && worker < 0; i++) {
                if (workers[i].length == length && memcmp(workers[i].identity, zmq_msg_data(&frames[0]), length) == 0) worker = i;
            }
            if (worker < 0) {
                if (worker_count == MAX_WORKERS || length > sizeof workers[0].identity) { fprintf(stderr, "mahavishnu-cfloor: too many workers\n"); exit(1); }
                worker = worker_count++;
                memcpy(workers[worker].identity, zmq_msg_data(&frames[0]), length);
                workers[worker].length = length;
            }
            if (count == 3 && zmq_msg_size(&frames[1]) == 7 && memcmp(zmq_msg_data(&frames[1]), "CREDITS", 7) == 0) {
                // CREDITS n: the worker takes n tasks at once.
                char digits[16] = {0};
                memcpy(digits, zmq_msg_data(&frames[2]), zmq_msg_size(&frames[2]) < 15 ? zmq_msg_size(&frames[2]) : 15);
                for (long credit = strtol(digits, NULL, 10); credit > 0 && tail - head < RING; credit--) ring[tail++ % RING] = (uint32_t)worker;
                for (int i = 0; i < count; i++) zmq_msg_close(&frames[i]);
                continue;
            }
            // client, MHV1, RESULT, …: to the client, and the worker's credit back.
            zmq_msg_close(&frames[0]);
            send_frames(frontend, frames, 1, count);
            ring[tail++ % RING] = (uint32_t)worker;
        }
        // Tasks while there is credit: each goes to the worker at the ring's head.
        while (head != tail) {
            zmq_msg_init(&frames[1]);
            if (zmq_msg_recv(&frames[1], frontend, ZMQ_DONTWAIT) < 0) { zmq_msg_close(&frames[1]); break; }
            int count = receive_rest(frontend, frames, 2);
            Worker *worker = &workers[ring[head++ % RING]];
            zmq_msg_init_size(&frames[0], worker->length);
            memcpy(zmq_msg_data(&frames[0]), worker->identity, worker->length);
            send_frames(backend, frames, 0, count);
        }
    }
}

// MARK: worker

static int worker(int argc, char **argv) {
    if (argc != 4) usage();
    void *context = zmq_ctx_new();
    void *socket = socket_or_fail(context, ZMQ_DEALER);
    if (zmq_connect(socket, argv[2]) != 0) fail("zmq_connect");
    send_frame(socket, "CREDITS", 7, 1);
    send_frame(socket, argv[3], strlen(argv[3]), 0);
    printf("cworker ready\n");
    fflush(stdout);
    // The size of our echo pool's result, so both brokers move the same bytes.
    static const char result[] = "{\"task_id\":\"\",\"pool_id\":\"pool_cfloor\",\"worker_id\":\"pool_cfloor_w0\",\"status\":\"completed\",\"output\":\"bench\",\"duration\":0.000001}";
    zmq_msg_t frames[MAX_FRAMES];
    for (;;) {
        // client, MHV1, TASK, id, …: answered client, MHV1, RESULT, id, 1, result.
        zmq_msg_init(&frames[0]);
        if (zmq_msg_recv(&frames[0], socket, 0) < 0) {
            if (zmq_errno() == EINTR) continue;
            fail("zmq_msg_recv");
        }
        int count = receive_rest(socket, frames, 1);
        if (count < 4) { fprintf(stderr, "mahavishnu-cfloor: a task of %d frames\n", count); exit(1); }
        if (zmq_msg_send(&frames[0], socket, ZMQ_SNDMORE) < 0 || zmq_msg_send(&frames[1], socket, ZMQ_SNDMORE) < 0) fail("zmq_msg_send");
        send_frame(socket, "RESULT", 6, 1);
        if (zmq_msg_send(&frames[3], socket, ZMQ_SNDMORE) < 0) fail("zmq_msg_send");
        send_frame(socket, "1", 1, 1);
        send_frame(socket, result, sizeof result - 1, 0);
        for (int i = 2; i < count; i++) if (i != 3) zmq_msg_close(&frames[i]);
    }
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) usage();
    if (strcmp(argv[1], "load") == 0) return load(argc, argv);
    if (strcmp(argv[1], "broker") == 0) return broker(argc, argv);
    if (strcmp(argv[1], "worker") == 0) return worker(argc, argv);
    usage();
}
