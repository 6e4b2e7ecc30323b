/* Fuzz the bus envelope decoder: any bytes in, a verdict out, nothing else.  A frame
 * that decodes must re-encode, and the re-encoded frame must decode to the same body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "proto/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_msg m;
	char err[256];
	if (proto_decode(data, size, &m, err, sizeof(err)) < 0) {
		if (!memchr(err, 0, sizeof(err)))
			abort();
		return 0;
	}
	size_t len;
	char *text = proto_encode(&m, &len);
	if (!text)
		abort();
	struct proto_msg again;
	if (proto_decode(text, len, &again, err, sizeof(err)) < 0)
		abort();
	if ((m.body || again.body) && !json_equal(m.body, again.body))
		abort();
	if (m.body)
		proto_validate_request(m.method[0] ? m.method : "sup.status", m.body, err, sizeof(err));
	free(text);
	proto_msg_clear(&again);
	proto_msg_clear(&m);
	return 0;
}
