/* Guest 2 of the paper build of minihv: the other side of the VM switch. It yields back
 * to guest 1 once for its warm-up yield and once for each timed one, then finishes. It
 * prints nothing, so the console's turns stay with guest 1. */
#include "guest.h"
#include "paper.h"

int guest_main(void)
{
    partner_yields(PAPER_ITERS + 1);
    return 0;
}
