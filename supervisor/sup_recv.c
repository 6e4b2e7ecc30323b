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

/* The bus and the control socket read alike: up to `batch` messages per wakeup (so one
 * busy peer cannot starve the loop), a well-formed one to the socket's own handler, a
 * malformed one counted by its other handler, and a trim after a large frame.  Only the
 * handlers differ, so the loop lives here once. */
int sup_recv_batch(void *ctx, void *zsock, int batch, sup_frame_fn on_frame,
                   sup_malformed_fn on_malformed)
{
	int i;
	for (i = 0; i < batch; i++) {
		zmq_msg_t id, frame;
		int parts;
		int r = sup_recv_routed(zsock, &id, &frame, &parts);
		if (r < 0) {
			zmq_msg_close(&id);
			zmq_msg_close(&frame);
			break;
		}
		size_t len = zmq_msg_size(&frame);
		if (r > 0)
			on_frame(ctx, zmq_msg_data(&id), zmq_msg_size(&id), &frame);
		else
			on_malformed(ctx, zmq_msg_data(&id), zmq_msg_size(&id), parts);
		zmq_msg_close(&frame);
		zmq_msg_close(&id);
		sup_after_frame(len);
	}
	return i;
}

/* A frame near the 1 MiB limit leaves buffers of that size behind in glibc's arenas
 * (libzmq's receive buffer, the JSON tree, the re-encoded text); without a trim ghrd's
 * RSS keeps the high-water mark of the largest burst forever. */
void sup_after_frame(size_t frame_len)
{
	if (frame_len > TRIM_ABOVE)
		malloc_trim(0);
}

int sup_ratelimit_pass(struct sup_ratelimit *r, int64_t now, int64_t *suppressed)
{
	if (r->last_ms && now - r->last_ms < SUP_LOG_INTERVAL_MS) {
		r->suppressed++;
		return 0;
	}
	if (suppressed)
		*suppressed = r->suppressed;
	r->last_ms = now;
	r->suppressed = 0;
	return 1;
}
