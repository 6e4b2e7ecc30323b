/* Receiving from ghrd's ROUTER sockets (bus and control): one routed message is exactly
 * [routing id][one frame]; anything else is drained whole so the next read starts at a
 * message boundary. */
#include <malloc.h>
#include <zmq.h>

#include "supervisor/sup.h"

#define TRIM_ABOVE (256 * 1024)

int sup_recv_routed(void *zsock, void *id_msg, void *frame_msg, int *parts)
{
	zmq_msg_t *id = id_msg, *frame = frame_msg;
	zmq_msg_init(id);
	zmq_msg_init(frame);
	*parts = 0;
	if (zmq_msg_recv(id, zsock, ZMQ_DONTWAIT) < 0)
		return -1;
	*parts = 1;
	int ok = zmq_msg_more(id) && zmq_msg_recv(frame, zsock, ZMQ_DONTWAIT) >= 0;
	if (ok)
		(*parts)++;
	int more = ok && zmq_msg_more(frame);
	while (more) {
		zmq_msg_t extra;
		zmq_msg_init(&extra);
		more = zmq_msg_recv(&extra, zsock, ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&extra);
		zmq_msg_close(&extra);
		(*parts)++;
	}
	return *parts == 2 ? 1 : 0;
}

/* A frame near the 1 MiB limit leaves buffers of that size behind in glibc's arenas
 * (libzmq's receive buffer, the JSON tree, the re-encoded text); without a trim ghrd's
 * RSS keeps the high-water mark of the largest burst forever. */
void sup_after_frame(size_t frame_len)
{
	if (frame_len > TRIM_ABOVE)
		malloc_trim(0);
}
