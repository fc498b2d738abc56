select 'unterminated
$tag$ never closed
/* open comment