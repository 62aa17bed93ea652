/*
 * fcgi_hello — the smallest FastCGI responder libfcgi allows: the
 * reference that bench/http compares the site's /api/health against.
 * Usage: fcgi_hello SOCKET_PATH WORKERS
 */
#include <fcgiapp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd, workers = argc > 2 ? atoi(argv[2]) : 2;
	FCGX_Request req;

	if (argc < 2)
		return 2;
	unlink(argv[1]);
	FCGX_Init();
	fd = FCGX_OpenSocket(argv[1], 1024);
	if (fd < 0)
		return 1;
	for (int i = 1; i < workers; i++)
		if (fork() == 0)
			break;
	FCGX_InitRequest(&req, fd, 0);
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutS("Status: 200 OK\r\nContent-Type: application/json\r\n\r\n"
			  "{\"status\":\"healthy\"}", req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}
