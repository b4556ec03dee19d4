/* exitcode.h - the one exit-code table every kato-live tool uses.
 *
 * The codes follow skarnet's convention so that a supervisor (systemd,
 * s6, cron, a shell) can tell "retry later" from "give up":
 *
 *   0    success
 *   1    a soft "no": --once could not sample its target, kato-alerts
 *        --once found alerts firing.  Nothing is broken in the tool.
 *   100  usage error: bad option or value, a file named on the command
 *        line that does not exist or may not be read, input that is not
 *        what the tool was told to expect.  Retrying will not help.
 *   111  temporary system failure: out of memory, cannot bind a socket,
 *        cannot start a child.  Retrying later may help.
 */
#ifndef KL_EXITCODE_H
#define KL_EXITCODE_H

#define KL_EXIT_OK 0     /* success */
#define KL_EXIT_NO 1     /* soft failure: the answer is "no" */
#define KL_EXIT_USAGE 100 /* bad invocation: do not retry */
#define KL_EXIT_TEMP 111 /* temporary system failure: retry later */

#endif
