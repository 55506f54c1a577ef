// libolm (Debian: libolm-dev): Olm and Megolm for Matrix end-to-end encryption.
#include <olm/olm.h>
#include <olm/inbound_group_session.h>
#include <olm/outbound_group_session.h>
