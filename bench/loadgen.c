/* loadgen.c: a small HTTP/1.1 keep-alive load generator for Kefu's benchmark.
 *
 *   loadgen create PORT TOKEN CONC COUNT     POST /api/v1/tickets COUNT times over CONC connections
 *   loadgen get PORT TOKEN CONC COUNT FILE   GET the paths of FILE (one a line), round robin
 *
 * Prints: requests, errors, seconds, requests/s, p50 ms, p99 ms. Exits 1 when any answer is
 * not 2xx. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port, count;
static const char *token;
static char **paths;
static int npaths;
static int create_mode;
static atomic_int next_req, errors;
static double *lat;

static const char *const subjects[] = {
    "家电未按时送货",   "申请退款",           "物流一直没有更新",
    "发票抬头开错了",   "APP无法登录",        "保修期是否包含人为损坏",
    "空调不制冷",       "订单地址修改",       "客服电话打不通",
    "refund request",   "invoice missing",    "login failed after update",
    "快递破损要求换货", "会员积分没有到账",   "洗衣机漏水",
    "退货运费谁承担",   "希望增加多语言支持", "优惠券无法使用"};
static const char *const details[] = {"承诺10月1日送达,至今未收到,客户很着急",
                                      "客户表示商品与描述不符,要求退款",
                                      "提示验证码错误,已尝试重启无效",
                                      "the customer asked twice already, please follow up",
                                      "大促后订单量大,仓库发货延迟",
                                      "客户要求上门检测,预约周末",
                                      "已提供开通指引,等待客户确认"};
static const char *const types[] = {"inquiry",   "problem",    "fault",
                                    "complaint", "suggestion", "special"};
static const char *const urg[] = {"high", "medium", "low"};
static const char *const channels[] = {"TEL", "WEB", "MAIL", "CHAT", "WX", "APP"};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int connect_to(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
        perror("connect");
        exit(2);
    }
    return fd;
}

/* Reads one response; returns its status or -1. */
static int read_response(int fd, char *buf, size_t cap)
{
    size_t have = 0;
    for (;;) {
        ssize_t n = read(fd, buf + have, cap - have - 1);
        if (n <= 0)
            return -1;
        have += (size_t)n;
        buf[have] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (!end)
            continue;
        char *cl = strcasestr(buf, "Content-Length:");
        size_t body = cl ? strtoul(cl + 15, NULL, 10) : 0;
        size_t total = (size_t)(end + 4 - buf) + body;
        while (have < total) {
            if (total >= cap)
                return -1;
            n = read(fd, buf + have, cap - have - 1);
            if (n <= 0)
                return -1;
            have += (size_t)n;
        }
        return atoi(buf + 9);
    }
}

static void *worker(void *arg)
{
    (void)arg;
    int fd = connect_to();
    size_t cap = 4 << 20;
    char *buf = malloc(cap), req[8192], body[4096];
    unsigned seed = (unsigned)(uintptr_t)&fd ^ (unsigned)time(NULL);
    for (;;) {
        int i = atomic_fetch_add(&next_req, 1);
        if (i >= count)
            break;
        int len;
        if (create_mode) {
            int r = rand_r(&seed);
            int bl =
                snprintf(body, sizeof(body),
                         "{\"channel\":\"%s\",\"type\":\"%s\",\"urgency\":\"%s\","
                         "\"subject\":\"%s %d\",\"description\":\"%s\","
                         "\"customer\":{\"name\":\"客户%d\",\"phone\":\"139%08d\"}}",
                         channels[r % 6], types[(r >> 3) % 6], urg[(r >> 6) % 3],
                         subjects[(r >> 8) % 18], i, details[(r >> 13) % 7], r % 20000, r % 20000);
            len = snprintf(req, sizeof(req),
                           "POST /api/v1/tickets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                           "Content-Length: %d\r\n\r\n%s",
                           token, bl, body);
        } else {
            len = snprintf(req, sizeof(req),
                           "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n",
                           paths[i % npaths], token);
        }
        double t0 = now_ms();
        if (write(fd, req, (size_t)len) != len) {
            atomic_fetch_add(&errors, 1);
            break;
        }
        int status = read_response(fd, buf, cap);
        lat[i] = now_ms() - t0;
        if (status < 200 || status > 299) {
            if (atomic_fetch_add(&errors, 1) < 3)
                fprintf(stderr, "loadgen: status %d: %.300s\n", status, buf);
            if (status < 0) {
                close(fd);
                fd = connect_to();
            }
        }
    }
    close(fd);
    free(buf);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: loadgen create|get PORT TOKEN CONC COUNT [FILE]\n");
        return 2;
    }
    create_mode = !strcmp(argv[1], "create");
    port = atoi(argv[2]);
    token = argv[3];
    int conc = atoi(argv[4]);
    count = atoi(argv[5]);
    if (!create_mode) {
        FILE *f = fopen(argv[6], "r");
        char line[1024];
        paths = malloc(sizeof(char *) * 100000);
        while (f && npaths < 100000 && fgets(line, sizeof(line), f)) {
            line[strcspn(line, "\n")] = '\0';
            paths[npaths++] = strdup(line);
        }
        if (!npaths) {
            fprintf(stderr, "loadgen: no paths\n");
            return 2;
        }
    }
    lat = calloc((size_t)count, sizeof(double));
    pthread_t th[256];
    double t0 = now_ms();
    for (int i = 0; i < conc && i < 256; i++)
        pthread_create(&th[i], NULL, worker, NULL);
    for (int i = 0; i < conc && i < 256; i++)
        pthread_join(th[i], NULL);
    double secs = (now_ms() - t0) / 1e3;
    qsort(lat, (size_t)count, sizeof(double), cmp);
    printf("requests=%d errors=%d seconds=%.2f rps=%.0f p50_ms=%.2f p99_ms=%.2f\n", count,
           atomic_load(&errors), secs, count / secs, lat[count / 2], lat[(int)(count * 0.99)]);
    return atomic_load(&errors) ? 1 : 0;
}
